import Foundation
import IngotCatalog
import IngotCore
import IngotLake

/// Auto Loader's schema for one `read_files` source: inferred from the first files, kept in the
/// dataset's checkpoint, and evolved per `schemaEvolutionMode` as later files bring new columns.
public struct AutoLoaderSchema: Sendable, Codable, Equatable {
    /// `[name, type]` pairs (type as ``LakeType/description``), without `_rescued_data`.
    public var fields: [[String]]

    init(_ fields: [Field]) { self.fields = fields.map { [$0.name, $0.type.description] } }

    var schema: Schema { Schema(fields.map { Field($0[0], LakeType(name: $0[1]) ?? .string, nullable: true) }) }
}

/// `schemaEvolutionMode`.
enum SchemaEvolutionMode: String {
    case addNewColumns, rescue, failOnNewColumns, none

    static func parse(_ text: String?, line: String) throws -> SchemaEvolutionMode {
        guard let text else { return .addNewColumns }
        guard let m = [Self.addNewColumns, .rescue, .failOnNewColumns, .none].first(where: { $0.rawValue.lowercased() == text.lowercased() }) else {
            throw PipelineError("\(line): unknown schemaEvolutionMode '\(text)' (use addNewColumns, rescue, failOnNewColumns or none)")
        }
        return m
    }
}

/// Reads landing files into a known schema plus `_rescued_data`: values that don't fit their
/// column's type, and (mode `rescue`) columns the schema lacks, go to `_rescued_data` as a JSON
/// object with the file's path under `_file_path`; nothing is silently dropped except new columns
/// under mode `none`.
struct AutoLoaderReader {
    static let rescued = "_rescued_data"

    let format: IngestFile.Format
    /// The table's data columns (without `_rescued_data`).
    let schema: Schema
    let mode: SchemaEvolutionMode

    var output: Schema { Schema(schema.fields + [Field(Self.rescued, .string, nullable: true)]) }

    /// The columns a file has (inferred from its first rows, or Parquet's schema).
    static func columns(of path: String, format: IngestFile.Format) async throws -> [Field] {
        let f = try await IngestFile(path: path, format: format)
        return f.schema.fields.filter { $0.name != rescued }.map { Field($0.name, $0.type, nullable: true) }
    }

    /// Streams one file as batches of ``output``.
    func read(_ path: String, fileColumns: [Field], emit: (RecordBatch) async throws -> Void) async throws {
        let known = Set(schema.fields.map { $0.name.lowercased() })
        let extra = Set(fileColumns.map(\.name).filter { !known.contains($0.lowercased()) })
        switch format {
        case .jsonl:
            var o = JSONLinesOptions()
            o.schema = schema
            o.malformed = .rescue
            let reader = try JSONLinesReader(path: path, options: o)
            while let b = try reader.next() { try await emit(try finish(b, path: path, drop: mode == .none ? extra : [], extra: [])) }
        case .csv:
            // CSV columns are positional: read the file's own header with the table's types.
            var o = CSVOptions()
            if (path as NSString).pathExtension.lowercased() == "tsv" { o.delimiter = 9 }
            o.schema = Schema(fileColumns.map { f in
                Field(f.name, schema.fields.first { $0.name.lowercased() == f.name.lowercased() }?.type ?? .string, nullable: true)
            })
            o.malformed = .rescue
            let reader = try CSVReader(path: path, options: o)
            while let b = try reader.next() { try await emit(try finish(b, path: path, drop: [], extra: mode == .none ? [] : extra)) }
        case .parquet:
            let reader = try await ParquetReader.open(path: path)
            for g in 0..<reader.numRowGroups {
                let b = try await reader.readRowGroup(g)
                var cols = b.columns
                var fields = b.schema.fields
                cols.append(try TableBatches.constant(nil, .string, rows: b.numRows))
                fields.append(Field(Self.rescued, .string, nullable: true))
                try await emit(try finish(try RecordBatch(schema: Schema(fields), columns: cols), path: path, drop: [], extra: mode == .none ? [] : extra))
            }
        }
    }

    /// Conforms a read batch to ``output``: columns named in `extra` are moved into `_rescued_data`,
    /// keys named in `drop` are removed from it, and other columns are cast (values that don't fit
    /// are rescued).
    func finish(_ b: RecordBatch, path: String, drop: Set<String>, extra: Set<String>) throws -> RecordBatch {
        guard var rescuedCol = b.column(named: Self.rescued) else { throw PipelineError(.internalError, "reader lost _rescued_data") }
        var texts: [String?] = (0..<b.numRows).map { rescuedCol.value(at: $0).flatMap { if case .string(let s) = $0 { return s } else { return nil } } }
        var cols: [Column] = []
        var extraCols: [(String, Column)] = []
        for f in b.schema.fields where f.name != Self.rescued && extra.contains(f.name) { extraCols.append((f.name, b.column(named: f.name)!)) }
        for f in schema.fields {
            guard let c = b.schema.fields.first(where: { $0.name.lowercased() == f.name.lowercased() }).flatMap({ b.column(named: $0.name) }) else {
                cols.append(try TableBatches.constant(nil, f.type, rows: b.numRows))
                continue
            }
            if c.type == f.type { cols.append(c); continue }
            do {
                cols.append(try TableBatches.cast(c, to: f.type, column: f.name))
            } catch {
                // Row by row: a value that doesn't cast is rescued.
                var builder = ColumnBuilder(type: f.type)
                for r in 0..<b.numRows {
                    guard !c.isNull(r) else { builder.appendNull(); continue }
                    let one = c.slice(r..<(r + 1))
                    if let v = (try? TableBatches.cast(one, to: f.type, column: f.name))?.value(at: 0) ?? Self.parse(c.value(at: r), as: f.type) {
                        builder.append(v)
                    } else {
                        builder.appendNull()
                        texts[r] = Self.add([(f.name, ValueFormatting.text(c, r))], to: texts[r], path: path)
                    }
                }
                cols.append(builder.finish())
                continue
            }
        }
        if !extraCols.isEmpty || !drop.isEmpty {
            for r in 0..<b.numRows {
                var add: [(String, String)] = []
                for (n, c) in extraCols where c.count == b.numRows && !c.isNull(r) { add.append((n, ValueFormatting.text(c, r))) }
                if !add.isEmpty { texts[r] = Self.add(add, to: texts[r], path: path) }
                if !drop.isEmpty, let t = texts[r] { texts[r] = Self.remove(drop, from: t) }
            }
        }
        var builder = ColumnBuilder(type: .string)
        for t in texts { builder.append(t.map { .string($0) }) }
        rescuedCol = builder.finish()
        cols.append(rescuedCol)
        return try RecordBatch(schema: output, columns: cols)
    }

    /// Text that reads as a number or boolean of the column's type (Parquet string columns).
    static func parse(_ v: Value?, as type: LakeType) -> Value? {
        guard case .string(let raw)? = v else { return nil }
        let s = raw.trimmingCharacters(in: .whitespaces)
        switch type {
        case .int8: return Int8(s).map { .int(Int64($0)) }
        case .int16: return Int16(s).map { .int(Int64($0)) }
        case .int32: return Int32(s).map { .int(Int64($0)) }
        case .int64: return Int64(s).map { .int($0) }
        case .float32, .float64: return Double(s).map { .double($0) }
        case .bool:
            switch s.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return nil
            }
        default: return nil
        }
    }

    static func object(_ text: String?) -> [String: Any] {
        guard let text, let o = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        return o
    }

    static func serialize(_ o: [String: Any]) -> String? {
        guard !o.isEmpty, Set(o.keys) != ["_file_path"] else { return nil }
        return String(decoding: (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func add(_ pairs: [(String, String)], to text: String?, path: String) -> String? {
        var o = object(text)
        for (k, v) in pairs { o[k] = v }
        o["_file_path"] = path
        return serialize(o)
    }

    static func remove(_ keys: Set<String>, from text: String) -> String? {
        var o = object(text)
        for k in keys { o.removeValue(forKey: k) }
        return serialize(o)
    }
}

extension PipelineRunner {
    /// Auto Loader: the files of the folder not yet in the checkpoint, read into a staging table with
    /// the source's schema (inferred from the first files and evolved per `schemaEvolutionMode`) plus
    /// `_rescued_data`. Returns the stage, the files and the schema to keep in the checkpoint.
    func stageNewFiles(path: String, options: [String: String], def: PipelineDefinition, done: Set<String>, known: AutoLoaderSchema?,
                       line: String) async throws -> (Stage?, [String], AutoLoaderSchema?) {
        let fresh = try landingFiles(path: path, def: def, line: line).filter { !done.contains($0) }
        guard !fresh.isEmpty else { return (nil, [], known) }
        let mode = try SchemaEvolutionMode.parse(options["schemaevolutionmode"], line: line)
        let format = try IngestFile.format(of: fresh[0], given: options["format"])
        var fields = known?.schema.fields ?? []
        var perFile: [(String, [Field])] = []
        for f in fresh {
            try checkStopped()
            let cols: [Field]
            do {
                cols = try await AutoLoaderReader.columns(of: f, format: format)
            } catch {
                throw PipelineError(.invalidState, "\(line): cannot read \(f): \((error as? any IngotError)?.message ?? "\(error)")")
            }
            perFile.append((f, cols))
            if fields.isEmpty { fields = cols; continue }
            let have = Set(fields.map { $0.name.lowercased() })
            let new = cols.filter { !have.contains($0.name.lowercased()) }
            guard !new.isEmpty else { continue }
            switch mode {
            case .addNewColumns: fields += new
            case .failOnNewColumns:
                throw PipelineError(.invalidState,
                    "\(line): file \(f) has new columns \(new.map(\.name).joined(separator: ", ")) (schemaEvolutionMode failOnNewColumns); "
                    + "add them with a full refresh or use addNewColumns / rescue")
            case .rescue, .none: break
            }
        }
        let reader = AutoLoaderReader(format: format, schema: Schema(fields), mode: mode)
        let stage = try newStage()
        let files = perFile
        try await stage.table.create(schema: reader.output, data: { emit in
            for (f, cols) in files {
                try checkStopped()
                try await reader.read(f, fileColumns: cols, emit: emit)
            }
        })
        return (stage, fresh, AutoLoaderSchema(fields))
    }

    /// The data files of a landing folder (or the one file), sorted; hidden (`.`/`_`) names skipped.
    func landingFiles(path: String, def: PipelineDefinition, line: String) throws -> [String] {
        let dir: URL
        if let landing {
            do {
                dir = URL(fileURLWithPath: try landing.localPath(path, base: def.directory))
            } catch let error as any IngotError {
                throw PipelineError(error.errorCode, "\(line): read_files: \(error.message)")
            }
        } else {
            dir = path.hasPrefix("/") ? URL(fileURLWithPath: path) : def.directory.appendingPathComponent(path)
        }
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir.path, isDirectory: &isDir) else { throw PipelineError("\(line): read_files path \(dir.path) does not exist") }
        guard isDir.boolValue else { return [dir.path] }
        var all: [String] = []
        if let e = fm.enumerator(atPath: dir.path) {
            while let rel = e.nextObject() as? String {
                let last = (rel as NSString).lastPathComponent
                if last.hasPrefix(".") || last.hasPrefix("_") { continue }
                var sub: ObjCBool = false
                let full = dir.appendingPathComponent(rel).path
                if fm.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue { all.append(full) }
            }
        }
        return all.sorted()
    }
}
