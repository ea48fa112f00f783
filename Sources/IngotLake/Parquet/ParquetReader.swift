/// One leaf column of a Parquet file as Ingot reads it.
public struct ParquetColumn: Sendable {
    /// The field as it appears in batches.
    public let field: Field
    /// Dotted path in the Parquet schema.
    public let path: [String]
    public let physicalType: String
    public let logicalType: String?
    public let repetition: String
    /// Index of the column chunk in each row group.
    let chunkIndex: Int
    let physical: PhysicalType
    let typeLength: Int
    let maxDef: Int
    let conversion: Conversion
    /// Maximum repetition level (leaves inside lists and maps).
    var maxRep = 0
    /// How to rebuild a nested (list, struct, map) column from its leaves; nil for flat columns.
    var nested: NestedReadPlan?
    /// Whether this is a list, struct or map column.
    public var isNested: Bool { nested != nil }

    enum Conversion: Sendable, Equatable {
        case none
        case multiply(Int64)
        case divide(Int64)
        case decimalFromInt
        case decimalFromBytes
        case widenUnsigned32
    }
}

/// Reads Parquet files: footer and schema at open, then one row group at a time.
public final class ParquetReader: Sendable {
    public let source: any RandomAccessSource
    let meta: FileMetaData
    /// The readable top-level columns (flat and nested), in file order.
    public let columns: [ParquetColumn]
    /// Top-level columns Ingot cannot read (unsupported nested shapes), by name.
    public let skippedColumns: [String]
    public let schema: Schema
    public let fileMetadataLength: Int

    public var numRows: Int64 { meta.numRows }
    public var numRowGroups: Int { meta.rowGroups.count }
    public var createdBy: String? { meta.createdBy }
    public var keyValueMetadata: [String: String] {
        Dictionary(meta.keyValues.map { ($0.key, $0.value ?? "") }, uniquingKeysWith: { $1 })
    }

    private init(source: any RandomAccessSource, meta: FileMetaData, footerLength: Int) throws {
        self.source = source
        self.meta = meta
        fileMetadataLength = footerLength
        var cols: [ParquetColumn] = []
        var skipped: [String] = []
        let leafCount = try Self.flatten(meta.schema, into: &cols, skipped: &skipped)
        columns = cols
        skippedColumns = skipped
        schema = Schema(cols.map(\.field), metadata: Dictionary(meta.keyValues.map { ($0.key, $0.value ?? "") }, uniquingKeysWith: { $1 }))
        for (i, g) in meta.rowGroups.enumerated() {
            guard g.columns.count == leafCount else {
                throw corrupt("row group \(i) has \(g.columns.count) column chunks, the schema has \(leafCount) leaves")
            }
            guard g.numRows >= 0 else { throw corrupt("row group \(i) has a negative row count") }
        }
    }

    /// Opens a Parquet file: reads and validates the footer.
    public static func open(_ source: any RandomAccessSource) async throws -> ParquetReader {
        do {
            let size = source.size
            guard size >= 12 else { throw corrupt("file is \(size) bytes, too small for Parquet") }
            let tail = try await source.read(offset: size - 8, length: 8)
            guard Array(tail[4..<8]) == Array("PAR1".utf8) else {
                if Array(tail[4..<8]) == Array("PARE".utf8) { throw LakeError.unsupported("encrypted Parquet files") }
                throw corrupt("missing PAR1 magic at the end")
            }
            let len = Int(UInt32(tail[0]) | UInt32(tail[1]) << 8 | UInt32(tail[2]) << 16 | UInt32(tail[3]) << 24)
            guard len > 0, Int64(len) <= size - 12 else { throw corrupt("footer length \(len) does not fit the file") }
            let head = try await source.read(offset: 0, length: 4)
            guard head == Array("PAR1".utf8) else { throw corrupt("missing PAR1 magic at the start") }
            let footer = try await source.read(offset: size - 8 - Int64(len), length: len)
            var r = ThriftReader(footer)
            let meta = try r.readFileMetaData()
            guard !meta.schema.isEmpty else { throw corrupt("empty schema") }
            return try ParquetReader(source: source, meta: meta, footerLength: len)
        } catch let e as LakeError {
            throw e.naming(source.name)
        }
    }

    /// Opens a local file.
    public static func open(path: String) async throws -> ParquetReader { try await open(FileSource(path: path)) }

    // MARK: - Schema

    /// Builds the top-level columns; returns the number of leaves (column chunks per row group).
    private static func flatten(_ elements: [SchemaElement], into cols: inout [ParquetColumn], skipped: inout [String]) throws -> Int {
        let (roots, leafCount) = try SchemaNode.tree(elements)
        for n in roots {
            let e = n.element
            if n.isLeaf && e.repetition != .repeated {
                let def = e.repetition == .optional ? 1 : 0
                cols.append(try column(e, path: [e.name], maxDef: def, chunkIndex: n.leafIndex))
                continue
            }
            do {
                cols.append(try NestedPlanner.column(n))
            } catch LakeError.unsupported(_) {
                skipped.append(e.name)
            }
        }
        return leafCount
    }

    static func column(_ e: SchemaElement, path: [String], maxDef: Int, chunkIndex: Int) throws -> ParquetColumn {
        let physical = e.type!
        var type: LakeType
        var conversion = ParquetColumn.Conversion.none
        var logicalName: String?
        func decimal(_ p: Int32, _ s: Int32) throws -> LakeType {
            guard (1...38).contains(p), (0...p).contains(s) else { throw LakeError.unsupported("decimal(\(p),\(s)) in \(e.name)") }
            return .decimal(precision: Int(p), scale: Int(s))
        }
        switch physical {
        case .boolean: type = .bool
        case .int32: type = .int32
        case .int64: type = .int64
        case .int96:
            type = .timestamp(utc: false)
            logicalName = "INT96 timestamp"
        case .float: type = .float32
        case .double: type = .float64
        case .byteArray: type = .binary
        case .fixedLenByteArray: type = .binary
        }
        switch e.logical {
        case .string?, .enumeration?, .json?:
            if physical == .byteArray { type = .string }
        case .decimal(let s, let p)?:
            type = try decimal(p, s)
            conversion = physical == .int32 || physical == .int64 ? .decimalFromInt : .decimalFromBytes
        case .date?: type = .date
        case .timestamp(let utc, let unit)?:
            type = .timestamp(utc: utc)
            conversion = unit == 1 ? .multiply(1000) : unit == 3 ? .divide(1000) : .none
        case .time(_, let unit)?:
            type = .int64
            conversion = unit == 1 ? .multiply(1000) : unit == 3 ? .divide(1000) : .none
        case .integer(let bits, let signed)?:
            switch (bits, signed) {
            case (8, true): type = .int8
            case (16, true): type = .int16
            case (8, false): type = .int16
            case (16, false): type = .int32
            case (32, false):
                type = .int64
                conversion = .widenUnsigned32
            default: break
            }
        default:
            switch e.convertedType {
            case 0?, 4?, 19?: if physical == .byteArray { type = .string }
            case 5?:
                type = try decimal(e.precision ?? 0, e.scale ?? 0)
                conversion = physical == .int32 || physical == .int64 ? .decimalFromInt : .decimalFromBytes
            case 6?: type = .date
            case 9?:
                type = .timestamp(utc: true)
                conversion = .multiply(1000)
            case 10?: type = .timestamp(utc: true)
            case 7?:
                type = .int64
                conversion = .multiply(1000)
            case 8?: type = .int64
            case 15?: type = .int8
            case 16?: type = .int16
            case 11?: type = .int16
            case 12?: type = .int32
            case 13?:
                type = .int64
                conversion = .widenUnsigned32
            default: break
            }
        }
        if case .decimal = type, physical == .fixedLenByteArray, (e.typeLength ?? 0) > 16 {
            throw LakeError.unsupported("decimal wider than 16 bytes in \(e.name)")
        }
        if case .time = e.logical, physical == .int32 { type = .int64 }
        if conversion == .none || conversion == .decimalFromInt || conversion == .decimalFromBytes || conversion == .widenUnsigned32 {
            // nothing
        }
        if physical == .fixedLenByteArray {
            guard let l = e.typeLength, l >= 0, l <= 1 << 20 else { throw corrupt("bad FIXED_LEN_BYTE_ARRAY length in \(e.name)") }
        }
        if logicalName == nil, let l = e.logical { logicalName = describe(l) }
        if logicalName == nil, let c = e.convertedType { logicalName = "converted \(c)" }
        let physicalName = ["BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"][Int(physical.rawValue)]
        let field = Field(path.last ?? "", type, nullable: maxDef > 0, id: e.fieldId)
        return ParquetColumn(
            field: field, path: path, physicalType: physical == .fixedLenByteArray ? "\(physicalName)(\(e.typeLength ?? 0))" : physicalName,
            logicalType: logicalName, repetition: maxDef > 0 ? "OPTIONAL" : "REQUIRED", chunkIndex: chunkIndex,
            physical: physical, typeLength: Int(e.typeLength ?? 0), maxDef: maxDef, conversion: conversion)
    }

    private static func describe(_ l: LogicalAnnotation) -> String {
        switch l {
        case .string: return "STRING"
        case .map: return "MAP"
        case .list: return "LIST"
        case .enumeration: return "ENUM"
        case .json: return "JSON"
        case .bson: return "BSON"
        case .uuid: return "UUID"
        case .date: return "DATE"
        case .unknown: return "UNKNOWN"
        case .decimal(let s, let p): return "DECIMAL(\(p),\(s))"
        case .time(let utc, let unit): return "TIME(\(["", "MILLIS", "MICROS", "NANOS"][Int(max(0, min(3, unit)))]), utc=\(utc))"
        case .timestamp(let utc, let unit):
            return "TIMESTAMP(\(["", "MILLIS", "MICROS", "NANOS"][Int(max(0, min(3, unit)))]), utc=\(utc))"
        case .integer(let b, let s): return "INTEGER(\(b),\(s ? "signed" : "unsigned"))"
        case .other(let id): return "LOGICAL(\(id))"
        }
    }

    // MARK: - Reading

    /// Rows in a row group.
    public func rowCount(ofRowGroup i: Int) -> Int64 { meta.rowGroups[i].numRows }

    /// Resolves column names (nil = all readable columns).
    public func resolve(_ names: [String]?) throws -> [ParquetColumn] {
        guard let names else { return columns }
        return try names.map { n in
            guard let c = columns.first(where: { $0.field.name == n }) else {
                if skippedColumns.contains(n) { throw LakeError.unsupported("nested column \(n)") }
                throw LakeError.invalidArgument("\(source.name): no column named \(n)")
            }
            return c
        }
    }

    /// Reads one row group.
    /// - Parameters:
    ///   - index: row group number.
    ///   - columns: names to read (projection); nil reads every readable column.
    public func readRowGroup(_ index: Int, columns names: [String]? = nil) async throws -> RecordBatch {
        guard index >= 0, index < meta.rowGroups.count else { throw LakeError.invalidArgument("no row group \(index)") }
        let cols = try resolve(names)
        do {
            let group = meta.rowGroups[index]
            var out: [Column] = []
            for c in cols {
                if let plan = c.nested {
                    out.append(try await readNested(group, c, plan))
                } else {
                    out.append(try await readChunk(group, c))
                }
            }
            return try RecordBatch(schema: Schema(cols.map(\.field), metadata: [:]), columns: out)
        } catch let e as LakeError {
            throw e.naming(source.name)
        }
    }

    private func readChunk(_ group: RowGroup, _ col: ParquetColumn) async throws -> Column {
        let chunk = group.columns[col.chunkIndex]
        guard let m = chunk.meta else { throw LakeError.unsupported("column chunk without inline metadata") }
        guard chunk.filePath == nil else { throw LakeError.unsupported("column chunks in external files") }
        guard let codec = Codec(rawValue: m.codec) else { throw corrupt("unknown codec \(m.codec)") }
        guard m.type == col.physical else { throw corrupt("column chunk type does not match the schema") }
        guard m.numValues == group.numRows else { throw corrupt("column chunk holds \(m.numValues) values for \(group.numRows) rows") }
        var start = m.dataPageOffset
        if let d = m.dictionaryPageOffset, d > 0, d < start { start = d }
        let length = m.totalCompressed
        let limit = source.size - 8 - Int64(fileMetadataLength)
        guard start >= 4, length >= 0, start <= limit, length <= limit - start else {
            throw corrupt("column chunk \(col.field.name) at \(start)+\(length) lies outside the data area")
        }
        let bytes = try await source.read(offset: start, length: Int(length))
        let expected = Int(m.numValues)
        let reader = ChunkReader(physical: col.physical, typeLength: col.typeLength, maxDef: col.maxDef, codec: codec, expectedValues: expected)
        try reader.decode(chunk: bytes)
        try reader.finishCheck()
        return Self.assemble(reader, col)
    }

    /// Decodes one leaf chunk of a nested column (levels and dense values).
    func readLeafChunk(_ group: RowGroup, _ col: ParquetColumn) async throws -> ChunkReader {
        let chunk = group.columns[col.chunkIndex]
        guard let m = chunk.meta else { throw LakeError.unsupported("column chunk without inline metadata") }
        guard chunk.filePath == nil else { throw LakeError.unsupported("column chunks in external files") }
        guard let codec = Codec(rawValue: m.codec) else { throw corrupt("unknown codec \(m.codec)") }
        guard m.type == col.physical else { throw corrupt("column chunk type does not match the schema") }
        guard m.numValues >= group.numRows || col.maxRep == 0 && m.numValues == group.numRows else {
            throw corrupt("column chunk \(col.path.joined(separator: ".")) holds \(m.numValues) values for \(group.numRows) rows")
        }
        var start = m.dataPageOffset
        if let d = m.dictionaryPageOffset, d > 0, d < start { start = d }
        let length = m.totalCompressed
        let limit = source.size - 8 - Int64(fileMetadataLength)
        guard start >= 4, length >= 0, start <= limit, length <= limit - start else {
            throw corrupt("column chunk \(col.path.joined(separator: ".")) at \(start)+\(length) lies outside the data area")
        }
        let bytes = try await source.read(offset: start, length: Int(length))
        let reader = ChunkReader(physical: col.physical, typeLength: col.typeLength, maxDef: col.maxDef, maxRep: col.maxRep, codec: codec,
                                 expectedValues: Int(m.numValues))
        try reader.decode(chunk: bytes)
        try reader.finishCheck()
        return reader
    }

    static func assemble(_ r: ChunkReader, _ col: ParquetColumn) -> Column {
        assemble(r, col, levels: r.levels, present: UInt8(col.maxDef), validity: r.validity())
    }

    /// Turns dense decoded values into a column with one slot per level entry in `levels`
    /// (`present` marks a value); `validity` nil means every slot holds a value.
    static func assemble(_ r: ChunkReader, _ col: ParquetColumn, levels: [UInt8], present: UInt8, validity: Bitmap?) -> Column {
        func fixed<T>(_ dense: [T], _ zero: T) -> [T] {
            validity == nil ? dense : ChunkReader.spread(dense, levels: levels, present: present, zero: zero)
        }
        var values: ColumnValues
        switch col.physical {
        case .boolean: values = .bool(fixed(r.bools, false))
        case .float: values = .float32(fixed(r.f32, 0))
        case .double: values = .float64(fixed(r.f64, 0))
        case .int32:
            let v = fixed(r.i32, 0)
            switch (col.field.type, col.conversion) {
            case (.decimal, _): values = .decimal(v.map { Int128($0) })
            case (_, .widenUnsigned32): values = .int64(v.map { Int64(UInt32(bitPattern: $0)) })
            case (.int64, .multiply(let k)): values = .int64(v.map { Int64($0) &* k })
            case (.int64, _): values = .int64(v.map { Int64($0) })
            default: values = .int32(v)
            }
        case .int64, .int96:
            var v = fixed(r.i64, 0)
            switch col.conversion {
            case .multiply(let k): v = v.map { $0 &* k }
            case .divide(let k): v = v.map { $0 / k - ($0 % k < 0 ? 1 : 0) }
            default: break
            }
            if case .decimal = col.field.type { values = .decimal(v.map { Int128($0) }) } else { values = .int64(v) }
        case .byteArray, .fixedLenByteArray:
            let b = validity == nil ? r.bytes : ChunkReader.spread(r.bytes, levels: levels, present: present)
            if case .decimal = col.field.type {
                var d = [Int128]()
                d.reserveCapacity(b.count)
                for i in 0..<b.count {
                    let s = b.bytes(i)
                    d.append(s.count <= 16 ? Decimals.fromBigEndian(s) : 0)
                }
                values = .decimal(d)
            } else {
                values = .bytes(b)
            }
        }
        return Column(type: col.field.type, values: values, validity: validity)
    }

    /// Reads every selected row group in order, calling `body` with each batch.
    /// - Parameters:
    ///   - columns: projection (nil = all).
    ///   - predicate: row groups whose statistics rule the predicate out are skipped.
    ///   - body: receives each row group's batch.
    public func forEachBatch(columns: [String]? = nil, where predicate: ParquetPredicate? = nil, _ body: (RecordBatch) async throws -> Void) async throws {
        for i in 0..<numRowGroups {
            if let predicate, !mightMatch(rowGroup: i, predicate) { continue }
            try await body(try await readRowGroup(i, columns: columns))
        }
    }
}
