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
            AdminTableDelete.self, AdminTableUpdate.self, AdminTableMerge.self, AdminTableOptimize.self, AdminTableVacuum.self,
            AdminTableWidenColumn.self,
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
    @Option(name: .customLong("where"), help: "Replace only the rows matching this condition (replaceWhere); the file's rows must all match it.") var condition: String?
    @Argument(help: "Data file (parquet, csv, jsonl).") var file: String

    func run() async throws {
        let t = try target.open()
        if let condition {
            let filter = try PredicateFilter(parsing: condition, schema: try await t.snapshot().schema)
            try await AdminTableChange.report { try await t.overwrite(where: filter, try AdminTableInput.source(file)) }
            return
        }
        try await AdminTableChange.conflictExit { print("version \(try await t.overwrite(try AdminTableInput.source(file)))") }
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
                ("operationParameters", c.info["operationParameters"] ?? .object([])), ("operationMetrics", c.info["operationMetrics"] ?? .object([])),
                ("engineInfo", c.info["engineInfo"] ?? .null), ("userName", c.info["userName"] ?? .null), ("readVersion", c.info["readVersion"] ?? .null),
                ("isBlindAppend", c.info["isBlindAppend"] ?? .null),
                ("addedFiles", .int(Int64(adds))), ("removedFiles", .int(Int64(removes))),
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
    @Option(name: .customLong("as-of-timestamp"), help: "Read the version current at this time (epoch milliseconds or ISO 8601, e.g. 2026-01-01T00:00:00Z).")
    var asOfTimestamp: String?

    var spec: TableVersion {
        get throws {
            if let version { return .version(version) }
            if let timestamp { return .timestamp(timestamp) }
            if let t = asOfTimestamp {
                if let ms = Int64(t) { return .timestamp(ms) }
                guard let us = PartitionValues.parseTimestamp(t) else { throw CLIError("--as-of-timestamp: '\(t)' is neither epoch milliseconds nor an ISO timestamp") }
                return .timestamp(us / 1000)
            }
            return .latest
        }
    }
}

struct AdminTableCat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cat", abstract: "Print a version's rows as JSON lines.", aliases: ["read"])
    @OptionGroup var target: AdminTableTarget
    @OptionGroup var at: AdminTableVersionOptions
    @Option(help: "Comma-separated columns.") var columns: String?

    func run() async throws {
        let t = try target.open()
        let cols = AdminTableInput.columns(columns)
        try await t.read(try at.spec, columns: cols.isEmpty ? nil : cols) { b in
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
        let snap = try await t.snapshot(try at.spec)
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

/// Shared output of the row-level commands: a JSON line of metrics, then `version N`. A commit conflict
/// exits with status 75 (EX_TEMPFAIL) and `commit conflict: …` on stderr, so callers can retry.
enum AdminTableChange {
    static func report(_ body: () async throws -> TableChange) async throws {
        try await conflictExit {
            let c = try await body()
            let metrics = LakeJSON.object(c.metrics.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })
            print(LakeJSON.object([("committed", .bool(c.committed)), ("metrics", metrics)]).serialized())
            print("version \(c.version)")
        }
    }

    static func conflictExit(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let e as TableError {
            if case .conflict = e {
                FileHandle.standardError.write(Data(("Error: " + e.message + "\n").utf8))
                throw ExitCode(75)
            }
            throw e
        }
    }

    static func filter(_ text: String?, all: Bool, table: LakeTable) async throws -> any RowFilter {
        if let text { return try PredicateFilter(parsing: text, schema: try await table.snapshot().schema) }
        guard all else { throw CLIError("give --where CONDITION (or --all)") }
        return AllRows()
    }
}

struct AdminTableDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete the rows matching a condition (copy-on-write) as one commit.")
    @OptionGroup var target: AdminTableTarget
    @Option(name: .customLong("where"), help: "Condition, e.g. \"id < 100 and region = 'eu'\".") var condition: String?
    @Flag(help: "Delete every row.") var all = false

    func run() async throws {
        let t = try target.open()
        let f = try await AdminTableChange.filter(condition, all: all, table: t)
        try await AdminTableChange.report { try await t.delete(where: f) }
    }
}

struct AdminTableUpdate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "update", abstract: "Set columns of the rows matching a condition as one commit.")
    @OptionGroup var target: AdminTableTarget
    @Option(name: .customLong("where"), help: "Condition.") var condition: String?
    @Flag(help: "Update every row.") var all = false
    @Option(name: .customLong("set"), help: "column=value (repeatable); value is a number, true/false, null or 'text'.") var assignments: [String] = []

    func run() async throws {
        let t = try target.open()
        let f = try await AdminTableChange.filter(condition, all: all, table: t)
        let schema = try await t.snapshot().schema
        var set: [String: ColumnAssignment] = [:]
        for a in assignments {
            guard let eq = a.firstIndex(of: "=") else { throw CLIError("--set '\(a)' must be column=value") }
            let name = String(a[..<eq]).trimmingCharacters(in: .whitespaces)
            var text = String(a[a.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
            guard let i = schema.index(of: name) else { throw CLIError("no column \(name)") }
            let quoted = text.count >= 2 && text.hasPrefix("'") && text.hasSuffix("'")
            if quoted { text = String(text.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'") }
            let value: Value?
            if !quoted && text.lowercased() == "null" {
                value = nil
            } else if quoted || schema.fields[i].type == .string {
                value = .string(text)
            } else if let x = Int64(text) {
                value = .int(x)
            } else if let d = Double(text) {
                value = .double(d)
            } else if text.lowercased() == "true" || text.lowercased() == "false" {
                value = .bool(text.lowercased() == "true")
            } else {
                value = .string(text)
            }
            set[name] = .value(value)
        }
        try await AdminTableChange.report { try await t.update(where: f, set: set) }
    }
}

struct AdminTableMerge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge", abstract: "Upsert a file's rows by key columns as one commit.")
    @OptionGroup var target: AdminTableTarget
    @Option(help: "Comma-separated key columns.") var keys: String
    @Option(name: .customLong("when-matched"), help: "update, delete or none.") var whenMatched = "update"
    @Flag(name: .customLong("no-insert"), help: "Do not insert source rows that match nothing.") var noInsert = false
    @Argument(help: "Source data file (parquet, csv, jsonl).") var file: String

    func run() async throws {
        let t = try target.open()
        let action: MergeMatchedAction
        switch whenMatched.lowercased() {
        case "update": action = .update
        case "delete": action = .delete
        case "none": action = .none
        default: throw CLIError("--when-matched must be update, delete or none")
        }
        let src = try AdminTableInput.source(file)
        try await AdminTableChange.report {
            try await t.merge(source: src, keys: AdminTableInput.columns(keys), whenMatched: action, whenNotMatchedInsert: !noInsert)
        }
    }
}

struct AdminTableOptimize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "optimize", abstract: "Compact small files per partition (dataChange false) as one commit.")
    @OptionGroup var target: AdminTableTarget
    @Option(name: .customLong("target-size"), help: "Target file size in bytes.") var targetSize: Int64 = 128 * 1024 * 1024
    @Option(name: .customLong("where"), help: "Only files that may hold rows matching this condition.") var condition: String?

    func run() async throws {
        let t = try target.open()
        var f: (any RowFilter)?
        if let condition { f = try PredicateFilter(parsing: condition, schema: try await t.snapshot().schema) }
        try await AdminTableChange.report { try await t.optimize(targetFileSize: targetSize, where: f) }
    }
}

struct AdminTableVacuum: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vacuum", abstract: "Delete data files no retained version references; prints their paths.")
    @OptionGroup var target: AdminTableTarget
    @Option(name: .customLong("retention-hours"), help: "Retention window in hours (default 168).") var retentionHours: Double = 168
    @Flag(name: .customLong("dry-run"), help: "Only list the files.") var dryRun = false
    @Flag(name: .customLong("no-retention-check"), help: "Allow a retention below 168 hours (Delta's retentionDurationCheck=false).") var noRetentionCheck = false

    func run() async throws {
        let t = try target.open()
        let keys = try await t.vacuum(retention: retentionHours * 3600, dryRun: dryRun, enforceRetentionDuration: !noRetentionCheck)
        let base = URL(fileURLWithPath: target.root).standardizedFileURL.path
        for k in keys { print(base + "/" + k) }
    }
}

struct AdminTableWidenColumn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "widen-column", abstract: "Widen a column's type (int→long, float→double) as one commit.")
    @OptionGroup var target: AdminTableTarget
    @Option var column: String
    @Option(help: "The new type, e.g. int64 or float64.") var type: String

    func run() async throws {
        let t = try target.open()
        guard let lt = LakeType(name: type) else { throw CLIError("unknown type '\(type)'") }
        try await AdminTableChange.report { try await t.widenColumn(column, to: lt) }
    }
}
