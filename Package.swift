// swift-tools-version:6.0
import PackageDescription

/// Module map (see README "Architecture"): the executable is thin; `IngotCLI` holds the commands,
/// `IngotServer` adapts the domain modules to HTTP, domain modules sit on `IngotLake`/`IngotStorage`,
/// and everything rests on `IngotCore`. Dependencies point one way only.
let package = Package(
    name: "ingot",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ingot", targets: ["ingot"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        // System libraries (installed by the README's commands).
        .systemLibrary(
            name: "CCompression", path: "Sources/CCompression",
            providers: [.apt(["libzstd-dev", "zlib1g-dev", "liblz4-dev", "libsnappy-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", providers: [.apt(["libssl-dev"])]),
        // Admin web pages embedded with C23 #embed (see scripts/gen-web-assets.sh).
        .target(name: "CWebAssets", path: "Sources/CWebAssets", cSettings: [.unsafeFlags(["-std=c23"])]),

        .target(
            name: "IngotCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .target(
            name: "IngotStorage",
            dependencies: [
                "IngotCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .target(
            name: "IngotLake", dependencies: ["IngotCore", "IngotStorage", "CCompression", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto")],
            // Hot encode/decode loops on local buffers; exclusivity is checked in debug builds.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        .target(
            name: "IngotTracking",
            dependencies: ["IngotStorage", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "IngotRegistry",
            dependencies: [
                "IngotCore", "IngotStorage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(name: "IngotPipelines", dependencies: ["IngotCore", "IngotStorage", "IngotLake", "IngotCatalog", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Yams", package: "Yams")]),
        .target(name: "IngotCatalog", dependencies: ["IngotLake", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "IngotServing",
            dependencies: [
                "IngotCore", "IngotStorage",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "IngotIdentity",
            dependencies: [
                "IngotStorage", "COpenSSL",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .target(
            name: "IngotServer",
            dependencies: [
                "IngotCore", "IngotStorage", "IngotLake", "IngotTracking", "IngotRegistry",
                "IngotPipelines", "IngotCatalog", "IngotServing", "IngotIdentity", "CWebAssets",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .target(
            name: "IngotCLI",
            dependencies: [
                "IngotCore", "IngotStorage", "IngotServer", "IngotLake", "IngotIdentity",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .executableTarget(name: "ingot", dependencies: ["IngotCLI"]),

        .testTarget(name: "IngotCoreTests", dependencies: ["IngotCore"]),
        .testTarget(
            name: "IngotStorageTests",
            dependencies: ["IngotStorage", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "IngotLakeTests", dependencies: ["IngotLake", "IngotStorage"]),
        .testTarget(name: "IngotTrackingTests", dependencies: ["IngotTracking"]),
        .testTarget(
            name: "IngotRegistryTests",
            dependencies: ["IngotRegistry", "IngotStorage", "IngotCore", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "IngotIdentityTests", dependencies: ["IngotIdentity"]),
        .testTarget(name: "IngotCatalogTests", dependencies: ["IngotCatalog", "IngotStorage"]),
        .testTarget(name: "IngotPipelinesTests", dependencies: ["IngotPipelines", "IngotCatalog", "IngotStorage", "IngotLake"]),
        .testTarget(name: "IngotServingTests", dependencies: ["IngotServing"], exclude: ["Fixtures"]),
        .testTarget(
            name: "IngotServerTests",
            dependencies: [
                "IngotServer",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]),
    ]
)
