/// Writes record batches to a Parquet file, one row group at a time.
///
/// Memory stays bounded by one row group of compressed pages (see ``ParquetWriteOptions``).
public final class ParquetWriter: @unchecked Sendable {
    public let schema: Schema
    public let options: ParquetWriteOptions
    private let sink: any ByteSink
    /// Every leaf column, depth-first.
    private let layouts: [LeafLayout]
    /// One per schema field.
    private let fieldLayouts: [FieldLayout]
    private var chunks: [ChunkWriter]
    private var rowsInGroup = 0
    private var position: Int64 = 0
    private var rowGroups: [RowGroup] = []
    private var totalRows: Int64 = 0
    private var closed = false
    private let codecContext: CodecContext

    /// - Parameters:
    ///   - sink: where the bytes go (a ``FileSink`` or an ``ObjectSink``).
    ///   - schema: the schema every batch must have.
    ///   - options: codec, encodings, page and row-group sizes.
    public init(sink: any ByteSink, schema: Schema, options: ParquetWriteOptions = ParquetWriteOptions()) throws {
        guard !schema.fields.isEmpty else { throw LakeError.invalidArgument("a Parquet file needs at least one column") }
        guard options.dataPageVersion == 1 || options.dataPageVersion == 2 else {
            throw LakeError.invalidArgument("data page version must be 1 or 2")
        }
        if [.lzo, .brotli, .lz4].contains(options.codec) { throw LakeError.unsupported("writing codec \(options.codec.name)") }
        self.sink = sink
        self.schema = schema
        self.options = options
        // Every column gets a field id (Iceberg needs them); missing ones continue after the largest.
        var nextId = (schema.fields.compactMap(\.id).max() ?? 0) + 1
        let top = schema.fields.map { f in
            var f = f
            if f.id == nil {
                f.id = nextId
                nextId += 1
            }
            return f
        }
        var leaves: [LeafLayout] = []
        var fls: [FieldLayout] = []
        for f in top { fls.append(FieldLayout.make(f, firstLeaf: leaves.count, nextId: &nextId, into: &leaves)) }
        layouts = leaves
        fieldLayouts = fls
        let context = CodecContext()
        codecContext = context
        chunks = layouts.map { ChunkWriter(layout: $0, options: options, context: context) }
    }

    /// Opens a local file for writing.
    public convenience init(path: String, schema: Schema, options: ParquetWriteOptions = ParquetWriteOptions()) throws {
        try self.init(sink: try FileSink(path: path), schema: schema, options: options)
    }

    /// Appends a batch (its schema's types must match the writer's).
    public func write(_ batch: RecordBatch) async throws {
        guard !closed else { throw LakeError.invalidArgument("writer is closed") }
        guard batch.columns.count == fieldLayouts.count else {
            throw LakeError.invalidArgument("batch has \(batch.columns.count) columns, the file has \(fieldLayouts.count)")
        }
        for (i, c) in batch.columns.enumerated() where c.type != fieldLayouts[i].field.type {
            if fieldLayouts[i].nested, NestedShredder.sameShape(c.type, fieldLayouts[i].field.type) { continue }
            throw LakeError.invalidArgument("column \(fieldLayouts[i].field.name) is \(c.type), the file expects \(fieldLayouts[i].field.type)")
        }
        if position == 0 {
            try await sink.write(Array("PAR1".utf8))
            position = 4
        }
        var physical: [PhysicalValues] = []
        physical.reserveCapacity(layouts.count)
        for (c, fl) in zip(batch.columns, fieldLayouts) {
            if fl.nested {
                for (leaf, layout) in zip(NestedShredder.leafColumns(c), layouts[fl.leaves]) { physical.append(try PhysicalValues.from(leaf, layout: layout)) }
            } else {
                physical.append(try PhysicalValues.from(c, layout: layouts[fl.leaves.lowerBound]))
            }
        }
        var start = 0
        while start < batch.numRows {
            let n = min(batch.numRows - start, options.rowGroupRows - rowsInGroup, 16_384)
            for (f, fl) in fieldLayouts.enumerated() {
                if !fl.nested {
                    let i = fl.leaves.lowerBound
                    try chunks[i].append(physical[i], validity: batch.columns[f].validity, rows: start..<start + n)
                    continue
                }
                var s = start
                while s < start + n {
                    let m = min(start + n - s, 1024)
                    let levels = try NestedShredder.shred(batch.columns[f], field: fl.field, rows: s..<s + m)
                    for (k, l) in levels.enumerated() {
                        let i = fl.leaves.lowerBound + k
                        try chunks[i].appendNested(physical[i], def: l.def, rep: l.rep, present: l.present, rows: m)
                    }
                    s += m
                }
            }
            rowsInGroup += n
            start += n
            if rowsInGroup >= options.rowGroupRows || chunks.reduce(0, { $0 + $1.estimatedBytes }) >= options.rowGroupBytes {
                try await flushRowGroup()
            }
        }
    }

    /// Writes the buffered rows as a row group.
    public func flushRowGroup() async throws {
        guard rowsInGroup > 0 else { return }
        var group = RowGroup()
        group.numRows = Int64(rowsInGroup)
        for chunk in chunks {
            var (dictionary, bytes, meta) = try chunk.finishParts()
            if let d = meta.dictionaryPageOffset { meta.dictionaryPageOffset = d + position }
            meta.dataPageOffset += position
            group.totalByteSize += meta.totalUncompressed
            group.columns.append(ColumnChunk(filePath: nil, fileOffset: meta.dictionaryPageOffset ?? meta.dataPageOffset, meta: meta))
            if !dictionary.isEmpty { try await sink.write(dictionary) }
            try await sink.write(bytes)
            position += Int64(dictionary.count + bytes.count)
            dictionary = []
            bytes = []
        }
        rowGroups.append(group)
        totalRows += Int64(rowsInGroup)
        rowsInGroup = 0
        chunks = layouts.map { ChunkWriter(layout: $0, options: options, context: codecContext) }
    }

    /// Writes the footer and closes the sink.
    @discardableResult
    public func close() async throws -> ParquetWriteSummary {
        guard !closed else { throw LakeError.invalidArgument("writer is closed") }
        if position == 0 {
            try await sink.write(Array("PAR1".utf8))
            position = 4
        }
        try await flushRowGroup()
        closed = true
        var meta = FileMetaData()
        meta.version = 2
        var root = SchemaElement()
        root.name = "schema"
        root.numChildren = Int32(fieldLayouts.count)
        meta.schema = [root] + fieldLayouts.flatMap(\.elements)
        meta.numRows = totalRows
        meta.rowGroups = rowGroups
        var kv = schema.metadata.merging(options.metadata) { $1 }
            .sorted { $0.key < $1.key }
            .map { KeyValue(key: $0.key, value: $0.value) }
        if kv.isEmpty { kv = [] }
        meta.keyValues = kv
        meta.createdBy = options.createdBy
        meta.columnOrders = options.statistics ? layouts.count : 0
        var w = ThriftWriter()
        w.write(meta)
        var tail = w.out
        withUnsafeBytes(of: UInt32(w.out.count).littleEndian) { tail.append(contentsOf: $0) }
        tail += Array("PAR1".utf8)
        try await sink.write(tail)
        position += Int64(tail.count)
        try await sink.close()
        return ParquetWriteSummary(rows: totalRows, rowGroups: rowGroups.count, bytes: position)
    }
}
