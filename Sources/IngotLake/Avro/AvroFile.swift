import CCompression

/// Avro object container file codecs.
public enum AvroCodec: String, Sendable {
    case null
    case deflate
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
        let data = codec == .deflate ? try AvroDeflate.compress(block.out) : block.out
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
            switch meta["avro.codec"] ?? "null" {
            case "null", "": codec = .null
            case "deflate": codec = .deflate
            case let other: throw TableError.unsupported("Avro codec \(other)")
            }
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
                let data = codec == .deflate ? try AvroDeflate.decompress(raw, limit: 1 << 30) : raw
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
