import CCompression

/// Avro object container file codecs.
public enum AvroCodec: String, Sendable {
    case null
    case deflate
    /// Raw snappy block followed by the big-endian CRC-32 of the uncompressed data.
    case snappy
    case zstandard

    func compress(_ data: [UInt8]) throws -> [UInt8] {
        switch self {
        case .null: return data
        case .deflate: return try AvroDeflate.compress(data)
        case .snappy: return try AvroSnappy.compress(data)
        case .zstandard: return try AvroZstd.compress(data)
        }
    }

    func decompress(_ data: [UInt8], limit: Int) throws -> [UInt8] {
        switch self {
        case .null: return data
        case .deflate: return try AvroDeflate.decompress(data, limit: limit)
        case .snappy: return try AvroSnappy.decompress(data, limit: limit)
        case .zstandard: return try AvroZstd.decompress(data, limit: limit)
        }
    }
}

/// Writes an Avro object container file in memory: header (magic, metadata map, sync marker), then
/// blocks of records, each followed by the sync marker.
public struct AvroFileWriter {
    public let schema: AvroSchema
    public let codec: AvroCodec
    let sync: [UInt8]
    var out: [UInt8] = []
    var block = AvroEncoder()
    var blockCount = 0
    public var blockRecords = 4096

    /// - Parameters:
    ///   - metadata: custom header keys (stored as bytes); `avro.schema` and `avro.codec` are added.
    public init(schema: AvroSchema, codec: AvroCodec = .deflate, metadata: [(String, String)] = [], sync: [UInt8]? = nil) {
        self.schema = schema
        self.codec = codec
        self.sync = sync ?? (0..<16).map { _ in UInt8.random(in: 0...255) }
        var h = AvroEncoder()
        h.out = Array("Obj".utf8) + [1]
        let entries = [("avro.schema", schema.text), ("avro.codec", codec.rawValue)] + metadata.filter { $0.0 != "avro.schema" && $0.0 != "avro.codec" }
        h.writeLong(Int64(entries.count))
        for (k, v) in entries {
            h.writeString(k)
            h.writeBytes(Array(v.utf8))
        }
        h.writeLong(0)
        out = h.out + self.sync
    }

    public mutating func append(_ value: AvroValue) throws {
        try block.write(value, as: schema)
        blockCount += 1
        if blockCount >= blockRecords { try flush() }
    }

    mutating func flush() throws {
        guard blockCount > 0 else { return }
        let data = try codec.compress(block.out)
        var e = AvroEncoder()
        e.writeLong(Int64(blockCount))
        e.writeLong(Int64(data.count))
        out += e.out
        out += data
        out += sync
        block = AvroEncoder()
        blockCount = 0
    }

    /// The finished file.
    public mutating func finish() throws -> [UInt8] {
        try flush()
        return out
    }
}

/// Reads an Avro object container file held in memory.
public struct AvroFileReader {
    public let schema: AvroSchema
    public let codec: AvroCodec
    /// Header metadata other than bytes-valued keys, decoded as UTF-8.
    public let metadata: [String: String]
    let bytes: [UInt8]
    let sync: [UInt8]
    let dataStart: Int
    let name: String

    public init(_ bytes: [UInt8], name: String = "") throws {
        self.bytes = bytes
        self.name = name
        do {
            guard bytes.count >= 4, Array(bytes[0..<4]) == Array("Obj".utf8) + [1] else {
                throw TableError.corrupt(file: name, detail: "not an Avro object container file (bad magic)")
            }
            var d = AvroDecoder(bytes, from: 4)
            var meta: [String: String] = [:]
            var total = 0
            while true {
                let n = try d.readBlockCount(itemSize: 2, total: &total)
                if n == 0 { break }
                for _ in 0..<n {
                    let k = try d.readString()
                    meta[k] = String(decoding: try d.readBytes(), as: UTF8.self)
                }
            }
            sync = try d.readFixed(16)
            dataStart = d.pos
            metadata = meta
            guard let schemaText = meta["avro.schema"] else { throw TableError.corrupt(file: name, detail: "Avro header has no avro.schema") }
            schema = try AvroSchema.parse(schemaText)
            let codecName = meta["avro.codec"] ?? "null"
            guard let c = AvroCodec(rawValue: codecName.isEmpty ? "null" : codecName) else { throw TableError.unsupported("Avro codec \(codecName)") }
            codec = c
        } catch let e as TableError {
            if case .corrupt(let f, let d) = e, f.isEmpty { throw TableError.corrupt(file: name, detail: d) }
            throw e
        }
    }

    /// Calls `body` with every record, block by block.
    public func forEach(_ body: (AvroValue) throws -> Void) throws {
        var d = AvroDecoder(bytes, from: dataStart)
        do {
            while !d.atEnd {
                let count = try d.readLong()
                let size = try d.readLong()
                guard count >= 0, size >= 0, size <= Int64(d.remaining) else {
                    throw TableError.corrupt(file: name, detail: "Avro block header out of range")
                }
                let raw = try d.readFixed(Int(size))
                let data = try codec.decompress(raw, limit: 1 << 30)
                guard count <= Int64(max(data.count, 1) * 1024) else { throw TableError.corrupt(file: name, detail: "Avro block count \(count) too large") }
                var bd = AvroDecoder(data)
                for _ in 0..<count { try body(try bd.read(schema)) }
                guard try d.readFixed(16) == sync else { throw TableError.corrupt(file: name, detail: "Avro sync marker mismatch") }
            }
        } catch let e as TableError {
            if case .corrupt(let f, let dd) = e, f.isEmpty { throw TableError.corrupt(file: name, detail: dd) }
            throw e
        }
    }

    public func readAll() throws -> [AvroValue] {
        var all: [AvroValue] = []
        try forEach { all.append($0) }
        return all
    }
}

/// Raw deflate (RFC 1951, no zlib or gzip wrapper) as the Avro spec requires.
enum AvroDeflate {
    static func compress(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TableError.invalidArgument("deflate init failed")
        }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 16)
        var input = input
        let capacity = output.count
        let rc = input.withUnsafeMutableBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { outp in
                stream.next_in = inp.baseAddress
                stream.avail_in = UInt32(inp.count)
                stream.next_out = outp.baseAddress
                stream.avail_out = UInt32(outp.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard rc == Z_STREAM_END else { throw TableError.invalidArgument("deflate failed (\(rc))") }
        output.removeLast(capacity - Int(stream.total_out))
        return output
    }

    static func decompress(_ input: [UInt8], limit: Int) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TableError.corrupt(file: "", detail: "inflate init failed")
        }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: max(4096, min(input.count * 4, 1 << 20)))
        var input = input
        var rc: Int32 = Z_OK
        try input.withUnsafeMutableBufferPointer { inp in
            stream.next_in = inp.baseAddress
            stream.avail_in = UInt32(inp.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { c in
                    stream.next_out = c.baseAddress
                    stream.avail_out = UInt32(c.count)
                    rc = inflate(&stream, Z_NO_FLUSH)
                    return c.count - Int(stream.avail_out)
                }
                guard rc == Z_OK || rc == Z_STREAM_END || (rc == Z_BUF_ERROR && produced > 0) else {
                    throw TableError.corrupt(file: "", detail: "deflate data is corrupt (\(rc))")
                }
                out += chunk[0..<produced]
                guard out.count <= limit else { throw TableError.corrupt(file: "", detail: "deflate block expands beyond \(limit) bytes") }
                if produced == 0 && rc != Z_STREAM_END { throw TableError.corrupt(file: "", detail: "deflate data is truncated") }
            } while rc != Z_STREAM_END
        }
        return out
    }
}

/// Avro's snappy framing: a raw snappy block, then a 4-byte big-endian CRC-32 of the uncompressed bytes.
enum AvroSnappy {
    static func compress(_ input: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: snappy_max_compressed_length(input.count))
        var len = out.count
        let status = input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { o in
                o.withMemoryRebound(to: CChar.self) { oc in
                    src.withMemoryRebound(to: CChar.self) { sc in snappy_compress(sc.baseAddress, input.count, oc.baseAddress, &len) }
                }
            }
        }
        guard status == SNAPPY_OK else { throw TableError.invalidArgument("snappy compression failed") }
        out.removeLast(out.count - len)
        let crc = UInt32(input.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) })
        return out + [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
    }

    static func decompress(_ input: [UInt8], limit: Int) throws -> [UInt8] {
        guard input.count >= 4 else { throw TableError.corrupt(file: "", detail: "snappy block too short") }
        let body = Array(input.dropLast(4))
        var len = 0
        let ok = body.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { snappy_uncompressed_length($0.baseAddress, body.count, &len) }
        }
        guard ok == SNAPPY_OK, len <= limit else { throw TableError.corrupt(file: "", detail: "snappy block header is invalid") }
        var out = [UInt8](repeating: 0, count: len)
        var outLen = len
        let status = body.withUnsafeBufferPointer { b in
            out.withUnsafeMutableBufferPointer { o in
                o.withMemoryRebound(to: CChar.self) { oc in
                    b.withMemoryRebound(to: CChar.self) { snappy_uncompress($0.baseAddress, body.count, oc.baseAddress, &outLen) }
                }
            }
        }
        guard status == SNAPPY_OK, outLen == len else { throw TableError.corrupt(file: "", detail: "snappy data is corrupt") }
        let crc = UInt32(out.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) })
        let want = input.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard crc == want else { throw TableError.corrupt(file: "", detail: "snappy block checksum mismatch") }
        return out
    }
}

/// Avro's zstandard codec: one zstd frame per block.
enum AvroZstd {
    static func compress(_ input: [UInt8]) throws -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { ZSTD_compress($0.baseAddress, bound, src.baseAddress, input.count, 3) }
        }
        guard ZSTD_isError(n) == 0 else { throw TableError.invalidArgument("zstd compression failed") }
        out.removeLast(out.count - n)
        return out
    }

    static func decompress(_ input: [UInt8], limit: Int) throws -> [UInt8] {
        guard let ctx = ZSTD_createDStream() else { throw TableError.corrupt(file: "", detail: "zstd init failed") }
        defer { ZSTD_freeDStream(ctx) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var finished = false
        try input.withUnsafeBufferPointer { src in
            var inBuf = ZSTD_inBuffer(src: src.baseAddress, size: src.count, pos: 0)
            while true {
                var produced = 0
                let rc = chunk.withUnsafeMutableBufferPointer { c -> Int in
                    var outBuf = ZSTD_outBuffer(dst: c.baseAddress, size: c.count, pos: 0)
                    let r = ZSTD_decompressStream(ctx, &outBuf, &inBuf)
                    produced = outBuf.pos
                    return r
                }
                guard ZSTD_isError(rc) == 0 else { throw TableError.corrupt(file: "", detail: "zstd data is corrupt") }
                out += chunk[0..<produced]
                guard out.count <= limit else { throw TableError.corrupt(file: "", detail: "zstd block expands beyond \(limit) bytes") }
                if rc == 0 { finished = true }
                if inBuf.pos >= inBuf.size && produced < chunk.count { break }
            }
        }
        guard finished else { throw TableError.corrupt(file: "", detail: "zstd data is truncated") }
        return out
    }
}
