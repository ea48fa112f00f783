import Foundation

/// One endpoint config while it serves: its entities (loaded) and the routing table. Immutable;
/// a config update builds a new one and swaps it in atomically.
public final class Deployment: Sendable {
    public let endpoint: String
    public let version: Int
    public let config: EndpointConfig
    public let entities: [String: EntityRuntime]
    let router: TrafficRouter
    public let shadows: [EntityRuntime]

    init(endpoint: String, version: Int, config: EndpointConfig, entities: [String: EntityRuntime]) {
        self.endpoint = endpoint
        self.version = version
        self.config = config
        self.entities = entities
        self.router = TrafficRouter(routes: config.routes)
        self.shadows = config.shadowEntities.compactMap { entities[$0.name] }
    }

    /// The entity that answers a request: weighted by the routes, deterministic for a routing key.
    public func pick(routingKey: String?) -> EntityRuntime? {
        entities[router.pick(routingKey: routingKey)]
    }
}

/// Weighted routing over percentages. A routing key hashes (FNV-1a, stable across restarts) to a
/// bucket in 0..<10000, so the same key always reaches the same entity while the split is unchanged.
public struct TrafficRouter: Sendable {
    let cumulative: [(name: String, upTo: Int)]

    public init(routes: [TrafficRoute]) {
        var acc = 0
        var out: [(String, Int)] = []
        for r in routes where r.percentage > 0 {
            acc += r.percentage * 100
            out.append((r.entityName, acc))
        }
        if out.isEmpty, let first = routes.first { out = [(first.entityName, 10_000)] }
        cumulative = out
    }

    /// The entities a request can be routed to.
    public var entityNames: [String] { cumulative.map(\.name) }

    public static func bucket(_ key: String) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return Int(h % 10_000)
    }

    public func pick(routingKey: String?) -> String {
        let bucket = routingKey.map(Self.bucket) ?? Int.random(in: 0..<10_000)
        for c in cumulative where bucket < c.upTo { return c.name }
        return cumulative.last?.name ?? ""
    }
}
