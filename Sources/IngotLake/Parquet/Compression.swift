import CCompression

/// Reusable codec state (a zstd compression and decompression context), owned by one writer or
/// reader and never shared between threads.
final class CodecContext {
    private var cctx: OpaquePointer?
    private var dctx: OpaquePointer?

    init() {}

    deinit {
        if let cctx { ZSTD_freeCCtx(cctx) }
        if let dctx { ZSTD_freeDCtx(dctx) }
    }

    var compression: OpaquePointer? {
        if cctx == nil { cctx = ZSTD_createCCtx() }
        return cctx
    }

    /// Reusable output buffer for page compression (grown, never shrunk).
    private var scratch: [UInt8] = []

    /// Compresses `input` and appends the result to `out` (zstd and uncompressed without
    /// per-page allocations); returns the compressed size.
    @discardableResult
    func compress(_ codec: Codec, _ input: UnsafeRawBufferPointer, level: Int32?, appendingTo out: inout [UInt8]) throws -> Int {
        switch codec {
        case .uncompressed:
            out.append(contentsOf: input)
            return input.count
        case .zstd:
            let bound = ZSTD_compressBound(input.count)
            if scratch.count < bound { scratch = [UInt8](repeating: 0, count: max(bound, scratch.count * 2)) }
            let c = compression
            let n = scratch.withUnsafeMutableBytes { dst in
                ZSTD_compressCCtx(c, dst.baseAddress, bound, input.baseAddress, input.count, level ?? 1)
            }
            guard ZSTD_isError(n) == 0 else { throw LakeError.io("zstd compression failed") }
            scratch.withUnsafeBytes { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            return n
        default:
            let c = try Compression.compress(codec, Array(input), level: level, context: self)
            out += c
            return c.count
        }
    }

    var decompression: OpaquePointer? {
        if dctx == nil { dctx = ZSTD_createDCtx() }
        return dctx
    }
}

/// Page compression with the system libraries (zstd, zlib, snappy, lz4).
enum Compression {
    /// Largest page Ingot will decompress.
    static let maxPageSize = 1 << 30

    /// Compresses a page body.
    static func compress(_ codec: Codec, _ input: [UInt8], level: Int32? = nil, context: CodecContext? = nil) throws -> [UInt8] {
        switch codec {
        case .uncompressed:
            return input
        case .zstd:
            let bound = ZSTD_compressBound(input.count)
            return try [UInt8](unsafeUninitializedCapacity: bound) { out, count in
                let n = input.withUnsafeBytes { src in
                    if let c = context?.compression {
                        return ZSTD_compressCCtx(c, out.baseAddress, bound, src.baseAddress, input.count, level ?? 1)
                    }
                    return ZSTD_compress(out.baseAddress, bound, src.baseAddress, input.count, level ?? 1)
                }
                guard ZSTD_isError(n) == 0 else { throw LakeError.io("zstd compression failed") }
                count = n
            }
        case .snappy:
            let bound = snappy_max_compressed_length(input.count)
            return try [UInt8](unsafeUninitializedCapacity: max(bound, 1)) { out, count in
                var len = bound
                let status = input.withUnsafeBytes { src in
                    out.withMemoryRebound(to: CChar.self) { o in
                        snappy_compress(src.baseAddress?.assumingMemoryBound(to: CChar.self), input.count, o.baseAddress, &len)
                    }
                }
                guard status == SNAPPY_OK else { throw LakeError.io("snappy compression failed") }
                count = len
            }
        case .lz4Raw:
            let bound = Int(LZ4_compressBound(Int32(input.count)))
            return try [UInt8](unsafeUninitializedCapacity: max(bound, 1)) { out, count in
                let n = input.withUnsafeBytes { src in
                    out.withMemoryRebound(to: CChar.self) { o in
                        LZ4_compress_default(src.baseAddress?.assumingMemoryBound(to: CChar.self), o.baseAddress, Int32(input.count), Int32(bound))
                    }
                }
                guard n > 0 || input.isEmpty else { throw LakeError.io("lz4 compression failed") }
                count = Int(n)
            }
        case .gzip:
            return try gzip(input, level: level ?? 6)
        default:
            throw LakeError.unsupported("writing codec \(codec.name)")
        }
    }

    /// Decompresses a page body whose uncompressed size the page header states.
    static func decompress(_ codec: Codec, _ input: UnsafeRawBufferPointer, uncompressedSize: Int, context: CodecContext? = nil) throws -> [UInt8] {
        guard uncompressedSize >= 0, uncompressedSize <= maxPageSize,
            uncompressedSize <= max(16 << 20, input.count * 1024)
        else { throw corrupt("implausible uncompressed page size \(uncompressedSize)") }
        switch codec {
        case .uncompressed:
            guard input.count == uncompressedSize else { throw corrupt("page size mismatch") }
            return Array(input)
        case .zstd:
            return try [UInt8](unsafeUninitializedCapacity: max(uncompressedSize, 1)) { out, count in
                let n: Int
                if let d = context?.decompression {
                    n = ZSTD_decompressDCtx(d, out.baseAddress, uncompressedSize, input.baseAddress, input.count)
                } else {
                    n = ZSTD_decompress(out.baseAddress, uncompressedSize, input.baseAddress, input.count)
                }
                guard ZSTD_isError(n) == 0, n == uncompressedSize else { throw corrupt("zstd data is corrupt") }
                count = n
            }
        case .snappy:
            var len = 0
            let src = input.baseAddress?.assumingMemoryBound(to: CChar.self)
            guard snappy_uncompressed_length(src, input.count, &len) == SNAPPY_OK, len == uncompressedSize else {
                throw corrupt("snappy data is corrupt")
            }
            return try [UInt8](unsafeUninitializedCapacity: max(len, 1)) { out, count in
                var outLen = len
                let status = out.withMemoryRebound(to: CChar.self) { o in snappy_uncompress(src, input.count, o.baseAddress, &outLen) }
                guard status == SNAPPY_OK, outLen == uncompressedSize else { throw corrupt("snappy data is corrupt") }
                count = outLen
            }
        case .lz4Raw, .lz4:
            let out = try lz4Block(input, uncompressedSize: uncompressedSize)
            if let out { return out }
            if codec == .lz4 { return try hadoopLZ4(input, uncompressedSize: uncompressedSize) }
            throw corrupt("lz4 data is corrupt")
        case .gzip:
            return try gunzip(input, uncompressedSize: uncompressedSize)
        default:
            throw LakeError.unsupported("codec \(codec.name)")
        }
    }

    private static func lz4Block(_ input: UnsafeRawBufferPointer, uncompressedSize: Int) throws -> [UInt8]? {
        var ok = true
        let out = [UInt8](unsafeUninitializedCapacity: max(uncompressedSize, 1)) { out, count in
            let n = out.withMemoryRebound(to: CChar.self) { o in
                LZ4_decompress_safe(input.baseAddress?.assumingMemoryBound(to: CChar.self), o.baseAddress, Int32(input.count), Int32(uncompressedSize))
            }
            ok = Int(n) == uncompressedSize
            count = ok ? Int(n) : 0
        }
        return ok ? out : nil
    }

    /// The deprecated LZ4 codec: Hadoop framing (big-endian uncompressed and compressed lengths per block).
    private static func hadoopLZ4(_ input: UnsafeRawBufferPointer, uncompressedSize: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        var pos = 0
        func be32(_ at: Int) -> Int { Int(input[at]) << 24 | Int(input[at + 1]) << 16 | Int(input[at + 2]) << 8 | Int(input[at + 3]) }
        while pos + 8 <= input.count {
            let raw = be32(pos), comp = be32(pos + 4)
            pos += 8
            guard comp <= input.count - pos, raw <= uncompressedSize - out.count,
                let block = try lz4Block(UnsafeRawBufferPointer(rebasing: input[pos..<pos + comp]), uncompressedSize: raw)
            else { throw corrupt("lz4 data is corrupt") }
            out += block
            pos += comp
        }
        guard out.count == uncompressedSize else { throw corrupt("lz4 data is corrupt") }
        return out
    }

    private static func gzip(_ input: [UInt8], level: Int32) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw LakeError.io("zlib init failed")
        }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count))) + 32
        var input = input
        return try [UInt8](unsafeUninitializedCapacity: bound) { out, count in
            let rc = input.withUnsafeMutableBufferPointer { src -> Int32 in
                stream.next_in = src.baseAddress
                stream.avail_in = UInt32(src.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(bound)
                return deflate(&stream, Z_FINISH)
            }
            guard rc == Z_STREAM_END else { throw LakeError.io("gzip compression failed") }
            count = Int(stream.total_out)
        }
    }

    private static func gunzip(_ input: UnsafeRawBufferPointer, uncompressedSize: Int) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: accept gzip or zlib headers.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw LakeError.io("zlib init failed")
        }
        defer { inflateEnd(&stream) }
        return try [UInt8](unsafeUninitializedCapacity: max(uncompressedSize, 1)) { out, count in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
            stream.avail_in = UInt32(input.count)
            stream.next_out = out.baseAddress
            stream.avail_out = UInt32(uncompressedSize)
            var rc = Z_OK
            while true {
                rc = inflate(&stream, Z_NO_FLUSH)
                // Concatenated gzip members: continue with the next one.
                if rc == Z_STREAM_END && stream.avail_in > 0 && stream.avail_out > 0 {
                    guard inflateReset(&stream) == Z_OK else { break }
                    continue
                }
                break
            }
            guard rc == Z_STREAM_END || (rc == Z_OK && stream.avail_out == 0) || (rc == Z_BUF_ERROR && stream.avail_out == 0),
                Int(stream.total_out) == uncompressedSize || stream.avail_out == 0
            else { throw corrupt("gzip data is corrupt") }
            count = uncompressedSize - Int(stream.avail_out)
            guard count == uncompressedSize else { throw corrupt("gzip data is corrupt") }
        }
    }
}
