/// Parquet physical types.
public enum PhysicalType: Int32, Sendable {
    case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5, byteArray = 6, fixedLenByteArray = 7
}

/// Parquet encodings.
public enum Encoding: Int32, Sendable, CaseIterable {
    case plain = 0, plainDictionary = 2, rle = 3, bitPacked = 4, deltaBinaryPacked = 5
    case deltaLengthByteArray = 6, deltaByteArray = 7, rleDictionary = 8, byteStreamSplit = 9

    public var name: String {
        switch self {
        case .plain: return "PLAIN"
        case .plainDictionary: return "PLAIN_DICTIONARY"
        case .rle: return "RLE"
        case .bitPacked: return "BIT_PACKED"
        case .deltaBinaryPacked: return "DELTA_BINARY_PACKED"
        case .deltaLengthByteArray: return "DELTA_LENGTH_BYTE_ARRAY"
        case .deltaByteArray: return "DELTA_BYTE_ARRAY"
        case .rleDictionary: return "RLE_DICTIONARY"
        case .byteStreamSplit: return "BYTE_STREAM_SPLIT"
        }
    }
}

/// Compression codecs.
public enum Codec: Int32, Sendable, CaseIterable {
    case uncompressed = 0, snappy = 1, gzip = 2, lzo = 3, brotli = 4, lz4 = 5, zstd = 6, lz4Raw = 7

    public var name: String {
        switch self {
        case .uncompressed: return "UNCOMPRESSED"
        case .snappy: return "SNAPPY"
        case .gzip: return "GZIP"
        case .lzo: return "LZO"
        case .brotli: return "BROTLI"
        case .lz4: return "LZ4"
        case .zstd: return "ZSTD"
        case .lz4Raw: return "LZ4_RAW"
        }
    }

    /// Parses `zstd`, `snappy`, `gzip`, `lz4`/`lz4_raw`, `none`/`uncompressed`.
    public init?(name: String) {
        switch name.lowercased() {
        case "zstd": self = .zstd
        case "snappy": self = .snappy
        case "gzip": self = .gzip
        case "lz4", "lz4_raw": self = .lz4Raw
        case "none", "uncompressed": self = .uncompressed
        default: return nil
        }
    }
}

enum PageType: Int32 { case dataPage = 0, indexPage = 1, dictionaryPage = 2, dataPageV2 = 3 }

enum Repetition: Int32 { case required = 0, optional = 1, repeated = 2 }

/// The parts of the `LogicalType` union Ingot understands.
enum LogicalAnnotation: Equatable {
    case string, map, list, enumeration, json, bson, uuid, date, unknown
    case decimal(scale: Int32, precision: Int32)
    case time(utc: Bool, unit: Int32)
    /// unit: 1 millis, 2 micros, 3 nanos.
    case timestamp(utc: Bool, unit: Int32)
    case integer(bits: Int8, signed: Bool)
    case other(Int16)
}

struct KeyValue { var key: String; var value: String? }

struct Statistics {
    var max: [UInt8]?
    var min: [UInt8]?
    var nullCount: Int64?
    var distinctCount: Int64?
    var maxValue: [UInt8]?
    var minValue: [UInt8]?
}

struct SchemaElement {
    var type: PhysicalType?
    var typeLength: Int32?
    var repetition: Repetition?
    var name: String = ""
    var numChildren: Int32?
    var convertedType: Int32?
    var scale: Int32?
    var precision: Int32?
    var fieldId: Int32?
    var logical: LogicalAnnotation?
}

struct ColumnMetaData {
    var type: PhysicalType = .int32
    var encodings: [Int32] = []
    var path: [String] = []
    var codec: Int32 = 0
    var numValues: Int64 = 0
    var totalUncompressed: Int64 = 0
    var totalCompressed: Int64 = 0
    var dataPageOffset: Int64 = 0
    var indexPageOffset: Int64?
    var dictionaryPageOffset: Int64?
    var statistics: Statistics?
}

struct ColumnChunk {
    var filePath: String?
    var fileOffset: Int64 = 0
    var meta: ColumnMetaData?
}

struct RowGroup {
    var columns: [ColumnChunk] = []
    var totalByteSize: Int64 = 0
    var numRows: Int64 = 0
}

struct FileMetaData {
    var version: Int32 = 2
    var schema: [SchemaElement] = []
    var numRows: Int64 = 0
    var rowGroups: [RowGroup] = []
    var keyValues: [KeyValue] = []
    var createdBy: String?
    var columnOrders: Int = 0
}

struct DataPageHeader {
    var numValues: Int32 = 0
    var encoding: Int32 = 0
    var defEncoding: Int32 = 3
    var repEncoding: Int32 = 3
}

struct DataPageHeaderV2 {
    var numValues: Int32 = 0
    var numNulls: Int32 = 0
    var numRows: Int32 = 0
    var encoding: Int32 = 0
    var defLength: Int32 = 0
    var repLength: Int32 = 0
    var isCompressed = true
}

struct DictionaryPageHeader {
    var numValues: Int32 = 0
    var encoding: Int32 = 0
}

struct PageHeader {
    var type: Int32 = 0
    var uncompressedSize: Int32 = 0
    var compressedSize: Int32 = 0
    var dataPage: DataPageHeader?
    var dictionaryPage: DictionaryPageHeader?
    var dataPageV2: DataPageHeaderV2?
}

// MARK: - Decoding

extension ThriftReader {
    mutating func readStatistics() throws -> Statistics {
        var s = Statistics()
        try structBegin()
        while let f = try field() {
            switch (f.id, f.type) {
            case (1, 8): s.max = try binary()
            case (2, 8): s.min = try binary()
            case (3, 6): s.nullCount = try i64()
            case (4, 6): s.distinctCount = try i64()
            case (5, 8): s.maxValue = try binary()
            case (6, 8): s.minValue = try binary()
            default: try skip(f.type)
            }
        }
        structEnd()
        return s
    }

    mutating func readLogical() throws -> LogicalAnnotation {
        var result = LogicalAnnotation.unknown
        try structBegin()
        while let f = try field() {
            guard f.type == TType.structure.rawValue else {
                try skip(f.type)
                continue
            }
            switch f.id {
            case 1: result = .string; try skip(f.type)
            case 2: result = .map; try skip(f.type)
            case 3: result = .list; try skip(f.type)
            case 4: result = .enumeration; try skip(f.type)
            case 5:
                var scale: Int32 = 0, precision: Int32 = 0
                try structBegin()
                while let g = try field() {
                    switch (g.id, g.type) {
                    case (1, 5): scale = try i32()
                    case (2, 5): precision = try i32()
                    default: try skip(g.type)
                    }
                }
                structEnd()
                result = .decimal(scale: scale, precision: precision)
            case 6: result = .date; try skip(f.type)
            case 7, 8:
                var utc = false, unit: Int32 = 0
                try structBegin()
                while let g = try field() {
                    switch (g.id, g.type) {
                    case (1, 1), (1, 2): utc = bool(type: g.type)
                    case (2, 12): unit = try readUnionTag()
                    default: try skip(g.type)
                    }
                }
                structEnd()
                result = f.id == 7 ? .time(utc: utc, unit: unit) : .timestamp(utc: utc, unit: unit)
            case 10:
                var bits: Int8 = 0, signed = true
                try structBegin()
                while let g = try field() {
                    switch (g.id, g.type) {
                    case (1, 3): bits = Int8(bitPattern: try byte())
                    case (2, 1), (2, 2): signed = bool(type: g.type)
                    default: try skip(g.type)
                    }
                }
                structEnd()
                result = .integer(bits: bits, signed: signed)
            case 11: result = .unknown; try skip(f.type)
            case 12: result = .json; try skip(f.type)
            case 13: result = .bson; try skip(f.type)
            case 14: result = .uuid; try skip(f.type)
            default: result = .other(f.id); try skip(f.type)
            }
        }
        structEnd()
        return result
    }

    /// Reads a union of empty structs and returns the id of the member that is set.
    mutating func readUnionTag() throws -> Int32 {
        var tag: Int32 = 0
        try structBegin()
        while let f = try field() {
            tag = Int32(f.id)
            try skip(f.type)
        }
        structEnd()
        return tag
    }

    mutating func readSchemaElement() throws -> SchemaElement {
        var e = SchemaElement()
        try structBegin()
        while let f = try field() {
            switch (f.id, f.type) {
            case (1, 5): e.type = PhysicalType(rawValue: try i32())
                if e.type == nil { throw corrupt("unknown physical type") }
            case (2, 5): e.typeLength = try i32()
            case (3, 5): e.repetition = Repetition(rawValue: try i32())
            case (4, 8): e.name = try string()
            case (5, 5): e.numChildren = try i32()
            case (6, 5): e.convertedType = try i32()
            case (7, 5): e.scale = try i32()
            case (8, 5): e.precision = try i32()
            case (9, 5): e.fieldId = try i32()
            case (10, 12): e.logical = try readLogical()
            default: try skip(f.type)
            }
        }
        structEnd()
        return e
    }

    mutating func readColumnMetaData() throws -> ColumnMetaData {
        var m = ColumnMetaData()
        try structBegin()
        while let f = try field() {
            switch (f.id, f.type) {
            case (1, 5):
                guard let t = PhysicalType(rawValue: try i32()) else { throw corrupt("unknown physical type") }
                m.type = t
            case (2, 9):
                let (n, _) = try listHeader()
                m.encodings = try (0..<n).map { _ in try i32() }
            case (3, 9):
                let (n, _) = try listHeader()
                m.path = try (0..<n).map { _ in try string() }
            case (4, 5): m.codec = try i32()
            case (5, 6): m.numValues = try i64()
            case (6, 6): m.totalUncompressed = try i64()
            case (7, 6): m.totalCompressed = try i64()
            case (9, 6): m.dataPageOffset = try i64()
            case (10, 6): m.indexPageOffset = try i64()
            case (11, 6): m.dictionaryPageOffset = try i64()
            case (12, 12): m.statistics = try readStatistics()
            default: try skip(f.type)
            }
        }
        structEnd()
        return m
    }

    mutating func readRowGroup() throws -> RowGroup {
        var g = RowGroup()
        try structBegin()
        while let f = try field() {
            switch (f.id, f.type) {
            case (1, 9):
                let (n, t) = try listHeader()
                guard t == TType.structure.rawValue else { throw corrupt("bad column chunk list") }
                g.columns.reserveCapacity(n)
                for _ in 0..<n {
                    var c = ColumnChunk()
                    try structBegin()
                    while let h = try field() {
                        switch (h.id, h.type) {
                        case (1, 8): c.filePath = try string()
                        case (2, 6): c.fileOffset = try i64()
                        case (3, 12): c.meta = try readColumnMetaData()
                        default: try skip(h.type)
                        }
                    }
                    structEnd()
                    g.columns.append(c)
                }
            case (2, 6): g.totalByteSize = try i64()
            case (3, 6): g.numRows = try i64()
            default: try skip(f.type)
            }
        }
        structEnd()
        return g
    }

    mutating func readFileMetaData() throws -> FileMetaData {
        var m = FileMetaData()
        try structBegin()
        while let f = try field() {
            switch (f.id, f.type) {
            case (1, 5): m.version = try i32()
            case (2, 9):
                let (n, t) = try listHeader()
                guard t == TType.structure.rawValue else { throw corrupt("bad schema list") }
                m.schema.reserveCapacity(n)
                for _ in 0..<n { m.schema.append(try readSchemaElement()) }
            case (3, 6): m.numRows = try i64()
            case (4, 9):
                let (n, t) = try listHeader()
                guard t == TType.structure.rawValue else { throw corrupt("bad row group list") }
                m.rowGroups.reserveCapacity(n)
                for _ in 0..<n { m.rowGroups.append(try readRowGroup()) }
            case (5, 9):
                let (n, t) = try listHeader()
                guard t == TType.structure.rawValue else { throw corrupt("bad key/value list") }
                for _ in 0..<n {
                    var kv = KeyValue(key: "", value: nil)
                    try structBegin()
                    while let h = try field() {
                        switch (h.id, h.type) {
                        case (1, 8): kv.key = try string()
                        case (2, 8): kv.value = try string()
                        default: try skip(h.type)
                        }
                    }
                    structEnd()
                    m.keyValues.append(kv)
                }
            case (6, 8): m.createdBy = try string()
            case (7, 9):
                let (n, t) = try listHeader()
                for _ in 0..<n { try skip(t) }
                m.columnOrders = n
            default: try skip(f.type)
            }
        }
        structEnd()
        return m
    }

    mutating func readPageHeader() throws -> PageHeader {
        var h = PageHeader()
        try structBegin()
        while let f = try field() {
            switch (f.id, f.type) {
            case (1, 5): h.type = try i32()
            case (2, 5): h.uncompressedSize = try i32()
            case (3, 5): h.compressedSize = try i32()
            case (5, 12):
                var d = DataPageHeader()
                try structBegin()
                while let g = try field() {
                    switch (g.id, g.type) {
                    case (1, 5): d.numValues = try i32()
                    case (2, 5): d.encoding = try i32()
                    case (3, 5): d.defEncoding = try i32()
                    case (4, 5): d.repEncoding = try i32()
                    default: try skip(g.type)
                    }
                }
                structEnd()
                h.dataPage = d
            case (7, 12):
                var d = DictionaryPageHeader()
                try structBegin()
                while let g = try field() {
                    switch (g.id, g.type) {
                    case (1, 5): d.numValues = try i32()
                    case (2, 5): d.encoding = try i32()
                    default: try skip(g.type)
                    }
                }
                structEnd()
                h.dictionaryPage = d
            case (8, 12):
                var d = DataPageHeaderV2()
                try structBegin()
                while let g = try field() {
                    switch (g.id, g.type) {
                    case (1, 5): d.numValues = try i32()
                    case (2, 5): d.numNulls = try i32()
                    case (3, 5): d.numRows = try i32()
                    case (4, 5): d.encoding = try i32()
                    case (5, 5): d.defLength = try i32()
                    case (6, 5): d.repLength = try i32()
                    case (7, 1), (7, 2): d.isCompressed = bool(type: g.type)
                    default: try skip(g.type)
                    }
                }
                structEnd()
                h.dataPageV2 = d
            default: try skip(f.type)
            }
        }
        structEnd()
        return h
    }
}

// MARK: - Encoding

extension ThriftWriter {
    mutating func write(_ s: Statistics, id: Int16) {
        structBegin(id)
        if let v = s.nullCount { i64(3, v) }
        if let v = s.distinctCount { i64(4, v) }
        if let v = s.maxValue { binary(5, v) }
        if let v = s.minValue { binary(6, v) }
        structEnd()
    }

    mutating func write(_ l: LogicalAnnotation, id: Int16) {
        structBegin(id)
        switch l {
        case .string: emptyStruct(1)
        case .map: emptyStruct(2)
        case .list: emptyStruct(3)
        case .date: emptyStruct(6)
        case .json: emptyStruct(12)
        case .decimal(let scale, let precision):
            structBegin(5)
            i32(1, scale)
            i32(2, precision)
            structEnd()
        case .timestamp(let utc, let unit), .time(let utc, let unit):
            if case .time = l { structBegin(7) } else { structBegin(8) }
            bool(1, utc)
            structBegin(2)
            emptyStruct(Int16(unit))
            structEnd()
            structEnd()
        case .integer(let bits, let signed):
            structBegin(10)
            fieldHeader(1, .byte)
            out.append(UInt8(bitPattern: bits))
            bool(2, signed)
            structEnd()
        default: break
        }
        structEnd()
    }

    mutating func write(_ e: SchemaElement) {
        structBegin(nil)
        if let v = e.type { i32(1, v.rawValue) }
        if let v = e.typeLength { i32(2, v) }
        if let v = e.repetition { i32(3, v.rawValue) }
        string(4, e.name)
        if let v = e.numChildren { i32(5, v) }
        if let v = e.convertedType { i32(6, v) }
        if let v = e.scale { i32(7, v) }
        if let v = e.precision { i32(8, v) }
        if let v = e.fieldId { i32(9, v) }
        if let v = e.logical { write(v, id: 10) }
        structEnd()
    }

    mutating func write(_ m: ColumnMetaData, id: Int16) {
        structBegin(id)
        i32(1, m.type.rawValue)
        listHeader(2, count: m.encodings.count, type: .i32)
        for e in m.encodings { listI32(e) }
        listHeader(3, count: m.path.count, type: .binary)
        for p in m.path { listString(p) }
        i32(4, m.codec)
        i64(5, m.numValues)
        i64(6, m.totalUncompressed)
        i64(7, m.totalCompressed)
        i64(9, m.dataPageOffset)
        if let v = m.dictionaryPageOffset { i64(11, v) }
        if let s = m.statistics { write(s, id: 12) }
        structEnd()
    }

    mutating func write(_ m: FileMetaData) {
        structBegin(nil)
        i32(1, m.version)
        listHeader(2, count: m.schema.count, type: .structure)
        for e in m.schema { write(e) }
        i64(3, m.numRows)
        listHeader(4, count: m.rowGroups.count, type: .structure)
        for g in m.rowGroups {
            structBegin(nil)
            listHeader(1, count: g.columns.count, type: .structure)
            for c in g.columns {
                structBegin(nil)
                if let p = c.filePath { string(1, p) }
                i64(2, c.fileOffset)
                if let meta = c.meta { write(meta, id: 3) }
                structEnd()
            }
            i64(2, g.totalByteSize)
            i64(3, g.numRows)
            structEnd()
        }
        if !m.keyValues.isEmpty {
            listHeader(5, count: m.keyValues.count, type: .structure)
            for kv in m.keyValues {
                structBegin(nil)
                string(1, kv.key)
                if let v = kv.value { string(2, v) }
                structEnd()
            }
        }
        if let c = m.createdBy { string(6, c) }
        if m.columnOrders > 0 {
            listHeader(7, count: m.columnOrders, type: .structure)
            for _ in 0..<m.columnOrders {
                structBegin(nil)
                emptyStruct(1)
                structEnd()
            }
        }
        structEnd()
    }

    mutating func write(_ h: PageHeader) {
        structBegin(nil)
        i32(1, h.type)
        i32(2, h.uncompressedSize)
        i32(3, h.compressedSize)
        if let d = h.dataPage {
            structBegin(5)
            i32(1, d.numValues)
            i32(2, d.encoding)
            i32(3, d.defEncoding)
            i32(4, d.repEncoding)
            structEnd()
        }
        if let d = h.dictionaryPage {
            structBegin(7)
            i32(1, d.numValues)
            i32(2, d.encoding)
            structEnd()
        }
        if let d = h.dataPageV2 {
            structBegin(8)
            i32(1, d.numValues)
            i32(2, d.numNulls)
            i32(3, d.numRows)
            i32(4, d.encoding)
            i32(5, d.defLength)
            i32(6, d.repLength)
            bool(7, d.isCompressed)
            structEnd()
        }
        structEnd()
    }
}
