import Foundation

/// Options for ``CSVReader``.
public struct CSVOptions: Sendable {
    public var delimiter: UInt8 = UInt8(ascii: ",")
    public var quote: UInt8 = UInt8(ascii: "\"")
    /// The first record names the columns.
    public var header = true
    /// Unquoted fields equal to one of these are null (an unquoted empty field always is).
    public var nullTokens: [String] = []
    /// An explicit schema (skips inference); columns are matched by position.
    public var schema: Schema?
    /// Records sampled for type inference.
    public var inferenceRows = 1000
    /// Infer dates and timestamps from ISO strings.
    public var inferDates = true
    public var malformed: MalformedRowPolicy = .fail
    public var batchRows = 65_536

    public init() {}
}

/// A streaming CSV reader producing record batches.
///
/// RFC 4180 quoting (doubled quotes inside quoted fields, embedded delimiters and newlines). By
/// default an empty unquoted field is null and a quoted empty field is an empty string.
public final class CSVReader: @unchecked Sendable {
    public private(set) var schema: Schema
    public let path: String
    private let options: CSVOptions
    private let file: FileSource
    private var fileOffset: Int64 = 0
    /// Unparsed input: bytes `0..<bufCount` of a manually managed buffer (raw so the parser and
    /// the per-record conversion pay no retain/release or exclusivity checks).
    private var bufPtr: UnsafeMutablePointer<UInt8>
    private var bufCount = 0
    private var bufCap = 0
    private var pos = 0
    private var eof = false
    private var line = 1
    private var recordLine = 1
    private let nullTokens: [[UInt8]]
    private var columnCount: Int
    private var sample: [[(bytes: [UInt8], quoted: Bool)]] = []
    private var sampleLines: [Int] = []
    private var rescue: Bool { options.malformed == .rescue }

    /// One field of the current record: bytes `start..<end` of the input buffer or (unquoted
    /// copies of quoted fields) of the scratch buffer.
    struct FieldRef {
        var start: Int
        var end: Int
        var inScratch: Bool
        var quoted: Bool
    }

    // Current record's fields and the scratch bytes of its quoted fields (raw, reused buffers).
    private var fields: UnsafeMutablePointer<FieldRef>
    private var fieldCount = 0
    private var fieldCap = 64
    private var scratchPtr: UnsafeMutablePointer<UInt8>
    private var scratchCount = 0
    private var scratchCap = 4096

    /// Bytes consumed so far (for progress).
    public var bytesRead: Int64 { fileOffset - Int64(bufCount - pos) }
    public var fileSize: Int64 { file.size }

    /// Opens a CSV file and infers (or applies) its schema.
    public init(path: String, options: CSVOptions = CSVOptions()) throws {
        self.path = path
        self.options = options
        fields = .allocate(capacity: 64)
        scratchPtr = .allocate(capacity: 4096)
        bufPtr = .allocate(capacity: 1)
        bufCap = 1
        file = try FileSource(path: path)
        nullTokens = options.nullTokens.map { Array($0.utf8) }
        schema = Schema([])
        columnCount = 0
        var names: [String] = []
        if options.header {
            if try nextRecord() {
                names = (0..<fieldCount).map { k in
                    let n = String(decoding: field(k), as: UTF8.self)
                    return n.isEmpty ? "_c\(k)" : n
                }
            }
        }
        var inferred: [InferredType] = []
        if options.schema == nil || !options.header {
            while sample.count < max(options.inferenceRows, 1), try nextRecord() {
                var rec: [(bytes: [UInt8], quoted: Bool)] = []
                for k in 0..<fieldCount { rec.append((Array(field(k)), fields[k].quoted)) }
                sample.append(rec)
                sampleLines.append(recordLine)
            }
        }
        if let explicit = options.schema {
            schema = explicit
        } else {
            let width = max(names.count, sample.first?.count ?? 0)
            for _ in names.count..<width { names.append("_c\(names.count)") }
            inferred = Array(repeating: InferredType(), count: width)
            for rec in sample where rec.count == width {
                for (k, f) in rec.enumerated() where !isNull(f.bytes, quoted: f.quoted) {
                    f.bytes.withUnsafeBytes { inferred[k].observe($0, inferDates: options.inferDates) }
                    if f.quoted && f.bytes.isEmpty { inferred[k].kind = .string }
                }
            }
            schema = Schema(zip(names, inferred).map { Field($0.0, $0.1.lakeType) })
        }
        columnCount = schema.fields.count
        if rescue { schema.fields.append(Field("_rescued_data", .string)) }
    }

    private func isNull(_ b: [UInt8], quoted: Bool) -> Bool {
        if quoted { return false }
        return b.isEmpty || nullTokens.contains(b)
    }

    deinit {
        fields.deallocate()
        scratchPtr.deallocate()
        bufPtr.deallocate()
    }

    /// The bytes of field k of the current record (valid until the next parse or fill).
    @inline(__always)
    private func fieldBytes(_ k: Int) -> UnsafeRawBufferPointer {
        let f = fields[k]
        let base = f.inScratch ? scratchPtr : bufPtr
        return UnsafeRawBufferPointer(start: base + f.start, count: f.end - f.start)
    }

    private func field(_ k: Int) -> [UInt8] { Array(fieldBytes(k)) }

    private func fill() throws -> Bool {
        guard !eof else { return false }
        if pos > 0 {
            let rest = bufCount - pos
            if rest > 0 { memmove(bufPtr, bufPtr + pos, rest) }
            bufCount = rest
            pos = 0
        }
        let want = Int(min(Int64(4 << 20), file.size - fileOffset))
        if want <= 0 {
            eof = true
            return true
        }
        if bufCount + want > bufCap {
            let cap = max(bufCap * 2, bufCount + want)
            let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: cap)
            if bufCount > 0 { nb.update(from: bufPtr, count: bufCount) }
            bufPtr.deallocate()
            bufPtr = nb
            bufCap = cap
        }
        try file.readSync(offset: fileOffset, length: want, into: bufPtr + bufCount)
        bufCount += want
        fileOffset += Int64(want)
        if fileOffset >= file.size { eof = true }
        return true
    }

    /// Parses the next non-empty record into the field arrays; false at end of input.
    private func nextRecord() throws -> Bool {
        while true {
            switch parse() {
            case .record(let next, let newlines):
                recordLine = line
                line += newlines
                pos = next
                if fieldCount == 1 && !fields[0].quoted && fields[0].end == fields[0].start { continue }  // empty line
                return true
            case .needMore:
                if !(try fill()) { return false }
            case .end:
                return false
            }
        }
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let lfs: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
    private static let crs: UInt64 = 0x0D0D_0D0D_0D0D_0D0D

    /// High bit set in each zero byte of `x` (exact for the lowest zero byte, which is all the
    /// scan uses; bytes above it may be flagged spuriously).
    @inline(__always) private static func zeroBytes(_ x: UInt64) -> UInt64 {
        (x &- ones) & ~x & 0x8080_8080_8080_8080
    }

    /// `.record(next record start, line feeds consumed)`.
    private enum ParseResult { case record(Int, Int), needMore, end }

    private func parse() -> ParseResult {
        let n = bufCount
        if pos >= n { return eof ? .end : .needMore }
        // Work on locals (written back once) so the loop pays no exclusivity checks.
        var fields = self.fields, fcap = self.fieldCap, fc = 0
        var scratch = self.scratchPtr, scap = self.scratchCap, sc = 0
        defer {
            self.fields = fields
            self.fieldCap = fcap
            self.fieldCount = fc
            self.scratchPtr = scratch
            self.scratchCap = scap
            self.scratchCount = sc
        }
        @inline(__always) func addField(_ s: Int, _ e: Int, _ inScratch: Bool, _ quoted: Bool) {
            if fc == fcap {
                let nf = UnsafeMutablePointer<FieldRef>.allocate(capacity: fcap * 2)
                nf.moveInitialize(from: fields, count: fc)
                fields.deallocate()
                fields = nf
                fcap *= 2
            }
            (fields + fc).initialize(to: FieldRef(start: s, end: e, inScratch: inScratch, quoted: quoted))
            fc += 1
        }
        @inline(__always) func addScratch(_ src: UnsafePointer<UInt8>, _ count: Int) {
            if sc + count > scap {
                let cap = max(scap * 2, sc + count)
                let ns = UnsafeMutablePointer<UInt8>.allocate(capacity: cap)
                ns.update(from: scratch, count: sc)
                scratch.deallocate()
                scratch = ns
                scap = cap
            }
            (scratch + sc).update(from: src, count: count)
            sc += count
        }
        let d = options.delimiter, q = options.quote
        let pd = UInt64(d) &* Self.ones
        let eof = self.eof
        let b = UnsafePointer(bufPtr)
        var i = pos
        var newlines = 0
        while true {
            if i < n && b[i] == q {
                i += 1
                let s0 = sc
                while true {
                    var j = i
                    while j < n && b[j] != q {
                        if b[j] == 10 { newlines += 1 }
                        j += 1
                    }
                    if j >= n {
                        if !eof { return .needMore }
                        // Unterminated quote at end of file: take the rest.
                        addScratch(b + i, n - i)
                        i = n
                        break
                    }
                    addScratch(b + i, j - i)
                    if j + 1 < n && b[j + 1] == q {
                        var qq = q
                        addScratch(&qq, 1)
                        i = j + 2
                        continue
                    }
                    if j + 1 >= n && !eof { return .needMore }
                    i = j + 1
                    break
                }
                // Text after the closing quote (lenient): keep it.
                while i < n && b[i] != d && b[i] != 10 && b[i] != 13 {
                    addScratch(b + i, 1)
                    i += 1
                }
                if i >= n && !eof { return .needMore }
                addField(s0, sc, true, true)
            } else {
                var j = i
                // Eight bytes at a time: the lowest flagged byte is the first delimiter, LF or CR.
                var hit = false
                while j + 8 <= n {
                    let x = UInt64(littleEndian: UnsafeRawPointer(b + j).loadUnaligned(as: UInt64.self))
                    let mk = Self.zeroBytes(x ^ pd) | Self.zeroBytes(x ^ Self.lfs) | Self.zeroBytes(x ^ Self.crs)
                    if mk != 0 {
                        j += mk.trailingZeroBitCount >> 3
                        hit = true
                        break
                    }
                    j += 8
                }
                if !hit {
                    while j < n {
                        let c = b[j]
                        if c == d || c == 10 || c == 13 { break }
                        j += 1
                    }
                }
                if j >= n && !eof { return .needMore }
                addField(i, j, false, false)
                i = j
            }
            if i >= n { return .record(n, newlines) }
            let c = b[i]
            if c == d {
                i += 1
                continue
            }
            if c == 13 {
                if i + 1 >= n && !eof { return .needMore }
                i += 1
                if i < n && b[i] == 10 {
                    i += 1
                    newlines += 1
                }
                return .record(i, newlines)
            }
            return .record(i + 1, newlines + 1)
        }
    }

    /// The next batch of up to `batchRows` rows, or nil at the end.
    public func next() throws -> RecordBatch? {
        var builders = schema.fields.prefix(columnCount).map { ColumnBuilder(type: $0.type) }
        var rescued = ColumnBuilder(type: .string)
        var rows = 0
        let nameJSON: [String] = schema.fields.prefix(columnCount).map { f in
            var s = ""
            ValueFormatting.appendJSONString(f.name, to: &s)
            return s
        }
        let nulls = nullTokens
        let rescue = self.rescue
        let columnCount = self.columnCount
        let fields = schema.fields
        let path = self.path
        let kinds = fields.prefix(columnCount).map { TextKind($0.type) }
        /// Appends field k; returns false when it does not parse.
        func handle(_ k: Int, _ p: UnsafeRawBufferPointer, _ quoted: Bool, _ line: Int, _ bad: inout [(String, String)]) throws {
            if !quoted && (p.isEmpty || (!nulls.isEmpty && nulls.contains(where: { $0.elementsEqual(p) }))) {
                builders[k].appendNull()
                return
            }
            if quoted && p.isEmpty && builders[k].type != .string && builders[k].type != .binary {
                builders[k].appendNull()
                return
            }
            if !appendText(p, to: &builders[k]) {
                if !rescue {
                    throw LakeError.malformedRow(file: path, line: line, column: fields[k].name,
                        detail: "cannot parse '\(String(decoding: p.prefix(100), as: UTF8.self))' as \(fields[k].type)")
                }
                builders[k].appendNull()
                bad.append((nameJSON[k], String(decoding: p, as: UTF8.self)))
            }
        }
        func finishRow(_ fieldCount: Int, _ line: Int, _ bad: inout [(String, String)], extra: (Int) -> String) throws {
            if fieldCount != columnCount {
                if !rescue {
                    throw LakeError.malformedRow(file: path, line: line, column: fieldCount > columnCount ? "_c\(columnCount)" : fields[fieldCount].name,
                        detail: "expected \(columnCount) fields, found \(fieldCount)")
                }
                for k in fieldCount..<max(fieldCount, columnCount) { builders[k].appendNull() }
                for k in columnCount..<max(columnCount, fieldCount) { bad.append(("\"_c\(k)\"", extra(k))) }
            }
            if rescue {
                if bad.isEmpty {
                    rescued.appendNull()
                } else {
                    var s = "{"
                    for (name, raw) in bad {
                        s += name + ": "
                        ValueFormatting.appendJSONString(raw, to: &s)
                        s += ", "
                    }
                    s += "\"_file_path\": "
                    ValueFormatting.appendJSONString(path, to: &s)
                    s += "}"
                    rescued.append(.string(s))
                }
            }
        }
        while rows < options.batchRows {
            var bad: [(String, String)] = []
            if !sample.isEmpty {
                let rec = sample.removeFirst()
                let lineNo = sampleLines.removeFirst()
                if rec.count != columnCount && !rescue { try finishRow(rec.count, lineNo, &bad, extra: { _ in "" }) }
                for k in 0..<min(columnCount, rec.count) {
                    try rec[k].bytes.withUnsafeBytes { try handle(k, $0, rec[k].quoted, lineNo, &bad) }
                }
                try finishRow(rec.count, lineNo, &bad, extra: { String(decoding: rec[$0].bytes, as: UTF8.self) })
            } else {
                guard try nextRecord() else { break }
                let lineNo = recordLine
                let count = fieldCount
                if !rescue && count == columnCount {
                    // Fast path: a well-formed record, converted straight from the input bytes.
                    let fp = self.fields, bp = self.bufPtr, sp = self.scratchPtr
                    let hasNullTokens = !nulls.isEmpty
                    try kinds.withUnsafeBufferPointer { kp in
                        try builders.withUnsafeMutableBufferPointer { bs in
                            for k in 0..<columnCount {
                                let f = fp[k]
                                let p = UnsafeRawBufferPointer(start: (f.inScratch ? sp : bp) + f.start, count: f.end - f.start)
                                let kind = kp[k]
                                if !f.quoted {
                                    if p.isEmpty || (hasNullTokens && nulls.contains(where: { $0.elementsEqual(p) })) {
                                        bs[k].appendNull()
                                        continue
                                    }
                                } else if p.isEmpty && !kind.isBytes {
                                    bs[k].appendNull()
                                    continue
                                }
                                if !appendText(p, kind: kind, to: &bs[k]) {
                                    throw LakeError.malformedRow(file: path, line: lineNo, column: fields[k].name,
                                        detail: "cannot parse '\(String(decoding: p.prefix(100), as: UTF8.self))' as \(fields[k].type)")
                                }
                            }
                        }
                    }
                    rows += 1
                    continue
                }
                if count != columnCount && !rescue { try finishRow(count, lineNo, &bad, extra: { _ in "" }) }
                for k in 0..<min(columnCount, count) {
                    try handle(k, fieldBytes(k), self.fields[k].quoted, lineNo, &bad)
                }
                try finishRow(count, lineNo, &bad, extra: { k in String(decoding: self.fieldBytes(k), as: UTF8.self) })
            }
            rows += 1
        }
        if rows == 0 { return nil }
        var cols = builders.map { $0.finish() }
        if rescue { cols.append(rescued.finish()) }
        return try RecordBatch(schema: schema, columns: cols)
    }
}
