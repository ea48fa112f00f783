import ArgumentParser
import Foundation
import IngotCore
import IngotLake
import IngotStorage

/// `ingot admin table …`: offline table operations on a data directory (no server), one commit per
/// command. Used by the interop tests to drive the Delta/Iceberg writer directly.
struct AdminTableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table", abstract: "Offline Delta/Iceberg table operations on a data directory.",
        shouldDisplay: false,
        subcommands: [
            AdminTableCreate.self, AdminTableAppend.self, AdminTableOverwrite.self, AdminTableHistory.self,
            AdminTableCat.self, AdminTableFiles.self, AdminTableSync.self, AdminTableAvroCat.self, AdminTableAvroSample.self,
            AdminTableIcebergCat.self, AdminTableIcebergSnapshots.self, AdminTableAddColumns.self,
        ])
}

/// Options naming the table.
struct AdminTableTarget: ParsableArguments {
    @Option(help: "The data directory (tables live under <root>/warehouse/).") var root: String
    @Option(help: "catalog.schema.table") var table: String

    func open() throws -> LakeTable {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let store = try LocalObjectStore(root: URL(fileURLWithPath: root))
        return try LakeTable(store: store, key: try LakeTable.key(forName: table))
    }
}

/// Reads a Parquet, CSV or JSON-lines file as batches.
enum AdminTableInput {
    static func schema(_ path: String) async throws -> Schema {
        switch kind(path) {
        case .parquet: return try await ParquetReader.open(path: path).schema
        case .csv: return try CSVReader(path: path).schema
        case .jsonl: return try JSONLinesReader(path: path).schema
        }
    }

    enum Kind { case parquet, csv, jsonl }

    static func kind(_ path: String) -> Kind {
        let p = path.lowercased()
        if p.hasSuffix(".csv") { return .csv }
        if p.hasSuffix(".jsonl") || p.hasSuffix(".json") || p.hasSuffix(".ndjson") { return .jsonl }
        return .parquet
    }

    static func source(_ path: String) throws -> BatchSource {
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no such file") }
        return { emit in
            switch kind(path) {
            case .parquet:
                let r = try await ParquetReader.open(path: path)
                try await r.forEachBatch { try await emit($0) }
            case .csv:
                let r = try CSVReader(path: path)
                while let b = try r.next() { try await emit(b) }
            case .jsonl:
                let r = try JSONLinesReader(path: path)
                while let b = try r.next() { try await emit(b) }
            }
        }
    }

    static func parseSchema(_ spec: String) throws -> Schema {
        var fields: [Field] = []
        for part in spec.split(separator: ",") {
            let kv = part.split(separator: ":", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2 else { throw CLIError("schema entry '\(part)' must be name:type") }
            var typeName = kv[1]
            var nullable = true
            if typeName.lowercased().hasSuffix("not null") {
                typeName = String(typeName.dropLast(8)).trimmingCharacters(in: .whitespaces)
                nullable = false
            }
            guard let t = LakeType(name: typeName) else { throw CLIError("unknown type '\(typeName)'") }
            fields.append(Field(kv[0], t, nullable: nullable))
        }
        return Schema(fields)
    }

    static func properties(_ list: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        for p in list {
            guard let eq = p.firstIndex(of: "=") else { throw CLIError("property '\(p)' must be key=value") }
            out[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        return out
    }

    static func columns(_ s: String?) -> [String] {
        (s ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

struct AdminTableCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a table (version 0), optionally with a file's data.")
    @OptionGroup var target: AdminTableTarget
    @Option(help: "Columns as name:type[,...] (types: int32, int64, float64, string, date, timestamp, decimal(p,s), ...).") var schema: String?
    @Option(name: .customLong("partition-by"), help: "Comma-separated partition columns.") var partitionBy: String?
    @Option(name: .customLong("property"), help: "Table property key=value (repeatable).") var property: [String] = []
    @Argument(help: "Optional data file (parquet, csv, jsonl) whose schema and rows create the table.") var file: String?

    func run() async throws {
        let t = try target.open()
        let s: Schema
        if let schema { s = try AdminTableInput.parseSchema(schema) } else if let file { s = try await AdminTableInput.schema(file) } else {
            throw CLIError("give --schema or a data file")
        }
        let v = try await t.create(schema: s, partitionColumns: AdminTableInput.columns(partitionBy), properties: try AdminTableInput.properties(property),
                                   data: try file.map(AdminTableInput.source))
        print("version \(v)")
    }
}

struct AdminTableAppend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "append", abstract: "Append a file's rows as one commit.")
    @OptionGroup var target: AdminTableTarget
    @Option(name: .customLong("partition-by"), help: "Partition columns when the table is created.") var partitionBy: String?
    @Argument(help: "Data file (parquet, csv, jsonl).") var file: String

    func run() async throws {
        let t = try target.open()
        let v: Int64
        if try await t.exists() {
            let existing = try await t.snapshot().metadata.partitionColumns
            if partitionBy != nil, AdminTableInput.columns(partitionBy) != existing {
                throw CLIError("table \(target.table) is partitioned by [\(existing.joined(separator: ", "))]; --partition-by only applies when creating it")
            }
            v = try await t.append(try AdminTableInput.source(file))
        } else {
            v = try await t.create(schema: try await AdminTableInput.schema(file), partitionColumns: AdminTableInput.columns(partitionBy),
                                   data: try AdminTableInput.source(file))
        }
        print("version \(v)")
    }
}

struct AdminTableOverwrite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "overwrite", abstract: "Replace the table's rows with a file's rows as one commit.")
    @OptionGroup var target: AdminTableTarget
    @Argument(help: "Data file (parquet, csv, jsonl).") var file: String

    func run() async throws {
        let t = try target.open()
        print("version \(try await t.overwrite(try AdminTableInput.source(file)))")
    }
}

struct AdminTableHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Commits as JSON lines, newest first.")
    @OptionGroup var target: AdminTableTarget

    func run() async throws {
        let t = try target.open()
        var out = ""
        for c in try await t.history() {
            var adds = 0, removes = 0
            for a in c.actions {
                if case .add = a { adds += 1 }
                if case .remove = a { removes += 1 }
            }
            out += LakeJSON.object([
                ("version", .int(c.version)), ("timestamp", .int(c.timestamp)), ("operation", .string(c.operation)),
                ("operationParameters", c.info["operationParameters"] ?? .object([])), ("addedFiles", .int(Int64(adds))), ("removedFiles", .int(Int64(removes))),
                ("icebergSnapshotId", .int(IcebergMirror.snapshotId(forDeltaVersion: c.version))),
            ]).serialized() + "\n"
        }
        print(out, terminator: "")
    }
}

/// Options choosing a version.
struct AdminTableVersionOptions: ParsableArguments {
    @Option(help: "Read this version.") var version: Int64?
    @Option(help: "Read the version current at this time (epoch milliseconds).") var timestamp: Int64?

    var spec: TableVersion {
        if let version { return .version(version) }
        if let timestamp { return .timestamp(timestamp) }
        return .latest
    }
}

struct AdminTableCat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cat", abstract: "Print a version's rows as JSON lines.")
    @OptionGroup var target: AdminTableTarget
    @OptionGroup var at: AdminTableVersionOptions
    @Option(help: "Comma-separated columns.") var columns: String?

    func run() async throws {
        let t = try target.open()
        let cols = AdminTableInput.columns(columns)
        try await t.read(at.spec, columns: cols.isEmpty ? nil : cols) { b in
            var out = ""
            ValueFormatting.appendJSONLines(b, rows: 0..<b.numRows, to: &out)
            print(out, terminator: "")
        }
    }
}

struct AdminTableFiles: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "files", abstract: "Absolute paths of a version's data files.")
    @OptionGroup var target: AdminTableTarget
    @OptionGroup var at: AdminTableVersionOptions

    func run() async throws {
        let t = try target.open()
        let snap = try await t.snapshot(at.spec)
        let base = URL(fileURLWithPath: target.root).standardizedFileURL.path
        for f in snap.files { print(base + "/" + t.fileKey(f)) }
    }
}

struct AdminTableSync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sync", abstract: "Bring the Iceberg metadata up to date with the Delta log.")
    @OptionGroup var target: AdminTableTarget

    func run() async throws {
        let t = try target.open()
        let v = try await t.iceberg.sync(log: t.log)
        print("version \(v.map(String.init) ?? "none")")
    }
}

struct AdminTableAvroCat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "avro-cat", abstract: "Print an Avro container file: schema, metadata and records as JSON.")
    @Argument var file: String

    func run() async throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        let r = try AvroFileReader(bytes, name: file)
        var records: [LakeJSON] = []
        try r.forEach { records.append(AvroJSON.render($0, r.schema)) }
        let out = LakeJSON.object([
            ("schema", r.schema.json), ("codec", .string(r.codec.rawValue)),
            ("metadata", LakeJSON.strings(r.metadata.filter { !$0.key.hasPrefix("avro.") })), ("records", .array(records)),
        ])
        print(out.serialized())
    }
}

struct AdminTableAvroSample: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "avro-sample", abstract: "Write an Avro file with every type (interop tests).")
    @Argument var file: String
    @Option var codec: String = "deflate"
    @Option var rows: Int = 1000

    func run() async throws {
        guard let c = AvroCodec(rawValue: codec) else { throw CLIError("codec must be null or deflate") }
        let bytes = try AvroJSON.sampleFile(codec: c, rows: rows)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
    }
}

struct AdminTableIcebergCat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "iceberg-cat", abstract: "Print an Iceberg table's rows (a metadata file or table directory) as JSON lines.")
    @Argument(help: "A metadata.json file, or a table directory with metadata/version-hint.text.") var location: String
    @Option(name: .customLong("snapshot-id"), help: "Read this snapshot (default: current).") var snapshotId: Int64?

    func run() async throws {
        let t = try IcebergTableReader.open(location)
        try await t.read(snapshotId: snapshotId) { b in
            var out = ""
            ValueFormatting.appendJSONLines(b, rows: 0..<b.numRows, to: &out)
            print(out, terminator: "")
        }
    }
}

struct AdminTableIcebergSnapshots: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "iceberg-snapshots", abstract: "List an Iceberg table's snapshots as JSON lines.")
    @Argument(help: "A metadata.json file, or a table directory.") var location: String

    func run() async throws {
        let t = try IcebergTableReader.open(location)
        for s in t.snapshots {
            let files = try t.dataFiles(snapshotId: s.id)
            print(LakeJSON.object([
                ("snapshot_id", .int(s.id)), ("timestamp_ms", .int(s.timestampMs)), ("operation", s.operation.map { .string($0) } ?? .null),
                ("files", .int(Int64(files.count))), ("records", .int(files.reduce(0) { $0 + $1.recordCount })),
                ("current", .bool(s.id == t.currentSnapshotId)),
            ]).serialized())
        }
    }
}

struct AdminTableAddColumns: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add-columns", abstract: "Add nullable columns (schema evolution) as one commit.")
    @OptionGroup var target: AdminTableTarget
    @Option(help: "Columns as name:type[,...].") var columns: String

    func run() async throws {
        let t = try target.open()
        print("version \(try await t.addColumns(try AdminTableInput.parseSchema(columns).fields))")
    }
}
