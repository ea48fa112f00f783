import Foundation
import IngotCore
import IngotStorage
import Testing

@testable import IngotCatalog

@Suite struct VolumeTests {
    static func temp(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ingot-vol-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return URL(fileURLWithPath: VolumeLocations.localPath(url.path)!)
    }

    static func service(enforce: Bool) throws -> (VolumeService, URL) {
        let metadata = try MetadataStore(inMemoryWith: CatalogModule.migrations + CatalogMetadataModule.migrations)
        try metadata.migrate()
        let data = try temp("data")
        return (VolumeService(store: VolumeStore(metadata: metadata), dataDirectory: data, enforceAllowList: enforce), data)
    }

    /// A volume service and the namespace that removes dropped volumes' files through it.
    static func serviceAndNamespace() throws -> (VolumeService, NamespaceStore, URL) {
        let metadata = try MetadataStore(inMemoryWith: CatalogModule.migrations + CatalogMetadataModule.migrations)
        try metadata.migrate()
        let data = try temp("data")
        let service = VolumeService(store: VolumeStore(metadata: metadata), dataDirectory: data, enforceAllowList: false)
        return (service, NamespaceStore(metadata: metadata, droppedVolumes: service), data)
    }

    @Test func pathsNeverLeaveTheVolume() throws {
        let p = try VolumePath(parsing: "/Volumes/Main/Default/Landing/a/b.csv")
        #expect(p.fullName == "main.default.landing" && p.segments == ["a", "b.csv"])
        #expect(try VolumePath(parsing: "dbfs:/Volumes/main/default/v/").segments == [])
        for bad in ["/Volumes/main/default/v/../w/x", "/Volumes/main/default/v/a/./b", "/Volumes/main/default/v/a//b", "/Volumes/main/default",
                    "/tmp/x", "/Volumes/main/default/v/a\\..\\b", "/Volumes/main/../v/x", "/Volumes/main/default/v/.ingot-upload-1"] {
            #expect(throws: VolumeFileError.self, "\(bad)") { try VolumePath(parsing: bad) }
        }
        // Percent-encoded traversal is decoded once, then refused.
        #expect(throws: VolumeFileError.self) { try VolumePath(urlPath: "/Volumes/main/default/v/%2e%2e/%2e%2e/etc/passwd") }
        #expect(throws: VolumeFileError.self) { try VolumePath(urlPath: "/Volumes/main/default/v/a%2F..%2F..%2Fx") }
        #expect(try VolumePath(urlPath: "/Volumes/main/default/v/a%20b.txt").segments == ["a b.txt"])
    }

    @Test func filesStreamAndRefuseSymlinks() throws {
        let root = try Self.temp("root")
        let outside = try Self.temp("outside")
        try Data("secret".utf8).write(to: outside.appendingPathComponent("secret.txt"))
        let files = VolumeFiles(root: root.path)
        let up = try files.beginUpload(["dir", "f.bin"], overwrite: false)
        for i in 0..<4 { try up.write([UInt8](repeating: UInt8(i), count: 1 << 20)) }
        try up.commit()
        #expect(try files.entry(["dir", "f.bin"])?.size == 4 << 20)
        #expect(try files.list(["dir"]).map(\.name) == ["f.bin"])
        let handle = try files.openRead(["dir", "f.bin"])
        #expect(try handle.read(offset: (3 << 20) + 5, length: 3) == [3, 3, 3])
        // No overwrite: refused; overwrite: replaced.
        #expect(throws: VolumeFileError.alreadyExists("the file 'dir/f.bin' already exists")) { try files.beginUpload(["dir", "f.bin"], overwrite: false) }
        let again = try files.beginUpload(["dir", "f.bin"], overwrite: true)
        try again.write([1, 2])
        try again.commit()
        #expect(try files.entry(["dir", "f.bin"])?.size == 2)
        // An aborted upload leaves nothing behind.
        let aborted = try files.beginUpload(["dir", "g.bin"], overwrite: true)
        try aborted.write([9])
        aborted.abort()
        #expect(try files.list(["dir"]).map(\.name) == ["f.bin"])
        // Symlinks out of the volume are never followed, as a directory or as a file.
        try FileManager.default.createSymbolicLink(atPath: root.path + "/link", withDestinationPath: outside.path)
        try FileManager.default.createSymbolicLink(atPath: root.path + "/file-link", withDestinationPath: outside.path + "/secret.txt")
        #expect(throws: VolumeFileError.self) { try files.openRead(["link", "secret.txt"]) }
        #expect(throws: VolumeFileError.self) { try files.openRead(["file-link"]) }
        #expect(throws: VolumeFileError.self) { try files.beginUpload(["link", "new.txt"], overwrite: true) }
        #expect(throws: VolumeFileError.self) { try files.list(["link"]) }
        #expect(try files.list([]).map(\.name) == ["dir"])
        // Directories: create, refuse deleting a non-empty one, delete an empty one.
        try files.makeDirectory(["a", "b"])
        #expect(throws: VolumeFileError.notEmpty("directory 'a' is not empty")) { try files.deleteDirectory(["a"]) }
        try files.deleteDirectory(["a", "b"])
        try files.deleteDirectory(["a"])
        #expect(throws: VolumeFileError.self) { try files.deleteDirectory([]) }
        try files.deleteFile(["dir", "f.bin"])
        #expect(try files.entry(["dir", "f.bin"]) == nil)
    }

    @Test func managedVolumesLiveUnderTheDataDirectory() async throws {
        let (service, data) = try Self.service(enforce: false)
        let v = try await service.create(catalog: "main", schema: "default", name: "Landing", type: .managed, storageLocation: nil, comment: "c", owner: "ana")
        #expect(v.fullName == "main.default.landing" && v.directory == data.path + "/volumes/main/default/landing")
        #expect(FileManager.default.fileExists(atPath: v.directory))
        await #expect(throws: CatalogError.self) {
            try await service.create(catalog: "main", schema: "default", name: "landing", type: .managed, storageLocation: nil, comment: nil, owner: "ana")
        }
        await #expect(throws: CatalogError.self) {
            try await service.create(catalog: "main", schema: "nope", name: "x", type: .managed, storageLocation: nil, comment: nil, owner: "ana")
        }
        for n in ["b", "c", "d"] { _ = try await service.create(catalog: "main", schema: "default", name: n, type: .managed, storageLocation: nil, comment: nil, owner: "ana") }
        let first = try await service.store.volumes(catalog: "main", schema: "default", maxResults: 3)
        #expect(first.volumes.map(\.name) == ["b", "c", "d"] && first.nextPageToken == "d")
        let second = try await service.store.volumes(catalog: "main", schema: "default", maxResults: 3, pageToken: first.nextPageToken)
        #expect(second.volumes.map(\.name) == ["landing"] && second.nextPageToken == nil)
        // Rename moves the files; delete removes them.
        try Data("x".utf8).write(to: URL(fileURLWithPath: v.directory + "/f.txt"))
        let renamed = try await service.update("main.default.landing", newName: "raw", comment: "new", owner: nil, by: "bob")
        #expect(renamed.comment == "new" && renamed.updatedBy == "bob" && FileManager.default.fileExists(atPath: renamed.directory + "/f.txt"))
        #expect(try service.landingPath("/Volumes/main/default/raw/f.txt", base: data) == renamed.directory + "/f.txt")
        try await service.delete("main.default.raw")
        #expect(!FileManager.default.fileExists(atPath: renamed.directory))
        await #expect(throws: CatalogError.self) { try await service.store.volume("main.default.raw") }
    }

    @Test func externalLocationsAreTheAllowList() async throws {
        let (open, _) = try Self.service(enforce: false)
        let outside = try Self.temp("landing")
        // Auth off: any local path is admitted.
        #expect(try open.landingPath(outside.path, base: outside) == outside.path)

        let (secured, data) = try Self.service(enforce: true)
        #expect(throws: IngotFailure.self) { try secured.landingPath(outside.path + "/in", base: data) }
        await #expect(throws: IngotFailure.self) {
            try await secured.create(catalog: "main", schema: "default", name: "ext", type: .external, storageLocation: "file://" + outside.path + "/ext", comment: nil, owner: "root")
        }
        do {
            _ = try secured.landingPath(outside.path, base: data)
            Issue.record("expected a refusal")
        } catch let error as IngotFailure {
            #expect(error.errorCode == .permissionDenied && error.message.contains(outside.path) && error.message.contains("external-locations"))
        }
        // Inside the data directory only volume paths are allowed.
        #expect(throws: IngotFailure.self) { try secured.landingPath(data.path + "/metadata.sqlite", base: data) }
        await #expect(throws: CatalogError.self) {
            try await secured.createExternalLocation(name: "bad", url: "file://" + data.path + "/warehouse", comment: nil, readOnly: false, owner: "root")
        }
        await #expect(throws: CatalogError.self) {
            try await secured.createExternalLocation(name: "rel", url: "relative/dir", comment: nil, readOnly: false, owner: "root")
        }
        let loc = try await secured.createExternalLocation(name: "landing", url: "file://" + outside.path, comment: "raw", readOnly: false, owner: "root")
        #expect(loc.url == "file://" + outside.path)
        #expect(try secured.landingPath(outside.path + "/in", base: data) == outside.path + "/in")
        // A sibling whose name merely starts with the location's is not covered.
        #expect(throws: IngotFailure.self) { try secured.landingPath(outside.path + "-other", base: data) }
        let ext = try await secured.create(catalog: "main", schema: "default", name: "ext", type: .external, storageLocation: outside.path + "/ext", comment: nil, owner: "root")
        #expect(ext.volumeType == .external && ext.directory == outside.path + "/ext")
        await #expect(throws: CatalogError.self) {
            try await secured.create(catalog: "main", schema: "default", name: "ext2", type: .external, storageLocation: outside.path + "/ext/sub", comment: nil, owner: "root")
        }
        try Data("a\n".utf8).write(to: URL(fileURLWithPath: ext.directory + "/keep.csv"))
        try await secured.delete("main.default.ext")
        #expect(FileManager.default.fileExists(atPath: outside.path + "/ext/keep.csv"))  // external files stay
        try await secured.store.deleteExternalLocation("landing")
        #expect(throws: IngotFailure.self) { try secured.landingPath(outside.path + "/in", base: data) }
    }

    /// Deleting a schema (or catalog) that holds volumes: refused without force; with force the rows go,
    /// managed volumes' directories are removed, an external volume's files stay, and a managed row whose
    /// stored location points outside `<data-dir>/volumes/` never makes the deletion leave it.
    @Test func deletingASchemaRemovesItsManagedVolumesFiles() async throws {
        let (service, namespace, data) = try Self.serviceAndNamespace()
        _ = try await namespace.createSchema(catalog: "main", name: "raw", owner: "ana")
        let managed = try await service.create(catalog: "main", schema: "raw", name: "m", type: .managed, storageLocation: nil, comment: nil, owner: "ana")
        try FileManager.default.createDirectory(atPath: managed.directory + "/sub", withIntermediateDirectories: true)
        try Data("m".utf8).write(to: URL(fileURLWithPath: managed.directory + "/sub/f.csv"))
        let outside = try Self.temp("external")
        let external = try await service.create(catalog: "main", schema: "raw", name: "e", type: .external, storageLocation: "file://" + outside.path + "/e",
                                                comment: nil, owner: "ana")
        try Data("e".utf8).write(to: URL(fileURLWithPath: external.directory + "/keep.csv"))
        // A managed row whose location was tampered with to point outside the volumes area.
        let victim = try Self.temp("victim")
        try Data("v".utf8).write(to: victim.appendingPathComponent("precious.txt"))
        var forged = managed
        forged.name = "forged"
        forged.volumeID = UUID().uuidString
        forged.storageLocation = VolumeLocations.url(victim.path)
        try await service.store.insert(forged)

        // Volumes alone make the schema non-empty.
        await #expect(throws: CatalogError.self) { try await namespace.deleteSchema(catalog: "main", name: "raw") }
        #expect(FileManager.default.fileExists(atPath: managed.directory + "/sub/f.csv"))
        // With force: the rows go; the managed directory goes; external files and the forged location stay.
        await #expect(throws: VolumeFileError.self) { try await namespace.deleteSchema(catalog: "main", name: "raw", force: true) }
        await #expect(throws: CatalogError.self) { try await namespace.schema(catalog: "main", name: "raw") }
        for name in ["m", "e", "forged"] { await #expect(throws: CatalogError.self) { try await service.store.volume("main.raw." + name) } }
        #expect(!FileManager.default.fileExists(atPath: managed.directory))
        #expect(FileManager.default.fileExists(atPath: outside.path + "/e/keep.csv"))
        #expect(FileManager.default.fileExists(atPath: victim.path + "/precious.txt"))

        // A catalog whose only volume sits in its default schema is not empty either; force removes its files.
        _ = try await namespace.createCatalog("lab", owner: "ana")
        _ = try await namespace.createSchema(catalog: "lab", name: "default", owner: "ana")
        let labVolume = try await service.create(catalog: "lab", schema: "default", name: "v", type: .managed, storageLocation: nil, comment: nil, owner: "ana")
        try Data("x".utf8).write(to: URL(fileURLWithPath: labVolume.directory + "/x.bin"))
        await #expect(throws: CatalogError.self) { try await namespace.deleteCatalog("lab") }
        try await namespace.deleteCatalog("lab", force: true)
        #expect(!FileManager.default.fileExists(atPath: labVolume.directory))
        #expect(FileManager.default.fileExists(atPath: data.path))
    }

    /// Renaming a schema or catalog carries its volumes and views along (their rows reference the schema);
    /// a managed volume's files stay where they were, so a new volume under the old name cannot share them.
    @Test func renamingASchemaOrCatalogCarriesItsVolumes() async throws {
        let (service, namespace, _) = try Self.serviceAndNamespace()
        _ = try await namespace.createSchema(catalog: "main", name: "raw", owner: "ana")
        let m = try await service.create(catalog: "main", schema: "raw", name: "m", type: .managed, storageLocation: nil, comment: nil, owner: "ana")
        try Data("m".utf8).write(to: URL(fileURLWithPath: m.directory + "/f.csv"))
        let stamp: Int64 = 1
        try await namespace.views.save(
            ViewRecord(name: try TableName(parsing: "main.raw.v"), viewID: UUID().uuidString, definition: "SELECT 1", columns: [], comment: nil, owner: "ana",
                       createdAt: stamp, updatedAt: stamp, createdBy: "ana", updatedBy: "ana"), replace: false)

        _ = try await namespace.updateSchema(catalog: "main", name: "raw", SecurableUpdate(newName: "bronze"), actor: "ana")
        let moved = try await service.store.volume("main.bronze.m")
        #expect(moved.directory == m.directory && moved.volumeID == m.volumeID)
        #expect(try await namespace.views.view(try TableName(parsing: "main.bronze.v")) != nil)
        let (_, files) = try await service.files(try VolumePath(parsing: "/Volumes/main/bronze/m/f.csv"))
        #expect(try files.entry(["f.csv"])?.size == 1)
        // The old name's managed directory still holds bronze.m's files: a new volume there is refused.
        _ = try await namespace.createSchema(catalog: "main", name: "raw", owner: "ana")
        await #expect(throws: CatalogError.self) {
            try await service.create(catalog: "main", schema: "raw", name: "m", type: .managed, storageLocation: nil, comment: nil, owner: "ana")
        }

        _ = try await namespace.createCatalog("lab", owner: "ana")
        _ = try await namespace.createSchema(catalog: "lab", name: "s", owner: "ana")
        _ = try await service.create(catalog: "lab", schema: "s", name: "v", type: .managed, storageLocation: nil, comment: nil, owner: "ana")
        _ = try await namespace.updateCatalog("lab", SecurableUpdate(newName: "lab2"), actor: "ana")
        #expect(try await service.store.volume("lab2.s.v").catalogName == "lab2")
        await #expect(throws: CatalogError.self) { try await service.store.volume("lab.s.v") }

        // Deleting the renamed schema removes the files where they are.
        try await namespace.deleteSchema(catalog: "main", name: "bronze", force: true)
        #expect(!FileManager.default.fileExists(atPath: m.directory))
    }

    /// A volume's tags follow its rename and go with it; a later volume of the old name starts without them.
    @Test func volumeTagsFollowRenamesAndGoWithTheVolume() async throws {
        let (service, namespace, _) = try Self.serviceAndNamespace()
        _ = try await service.create(catalog: "main", schema: "default", name: "landing", type: .managed, storageLocation: nil, comment: nil, owner: "ana")
        try await namespace.setTags(.volume, "main.default.landing", set: ["pii": "no"], unset: [], actor: "ana")
        _ = try await service.update("main.default.landing", newName: "raw", comment: nil, owner: nil, by: "ana")
        #expect(try await namespace.tags(.volume, "main.default.raw") == ["pii": "no"])
        #expect(try await namespace.tags(.volume, "main.default.landing").isEmpty)
        _ = try await service.create(catalog: "main", schema: "default", name: "landing", type: .managed, storageLocation: nil, comment: nil, owner: "ana")
        #expect(try await namespace.tags(.volume, "main.default.landing").isEmpty)
        try await service.delete("main.default.raw")
        #expect(try await namespace.tags(.volume, "main.default.raw").isEmpty)
    }
}
