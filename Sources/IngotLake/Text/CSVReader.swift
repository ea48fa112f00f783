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
    private var buf: [UInt8] = []
    private var pos = 0
    private var eof = false
    private var line = 1
    private var recordLine = 1
    private let nullTokens: [[UInt8]]
    private var columnCount: Int
    private var sample: [[(bytes: [UInt8], quoted: Bool)]] = []
    private var sampleLines: [Int] = []
    private var rescue: Bool { options.malformed == .rescue }

    // Current record's fields: (in scratch, start, end, quoted)
    private var fStart: [Int] = []
    private var fEnd: [Int] = []
    private var fScratch: [Bool] = []
    private var fQuoted: [Bool] = []
    private var scratch: [UInt8] = []

    /// Bytes consumed so far (for progress).
    public var bytesRead: Int64 { fileOffset - Int64(buf.count - pos) }
    public var fileSize: Int64 { file.size }

    /// Opens a CSV file and infers (or applies) its schema.
    public init(path: String, options: CSVOptions = CSVOptions()) throws {
        self.path = path
        self.options = options
        file = try FileSource(path: path)
        nullTokens = options.nullTokens.map { Array($0.utf8) }
        schema = Schema([])
        columnCount = 0
        var names: [String] = []
        if options.header {
            if try nextRecord() {
                names = (0..<fStart.count).map { k in
                    let n = String(decoding: field(k), as: UTF8.self)
                    return n.isEmpty ? "_c\(k)" : n
                }
            }
        }
        var inferred: [InferredType] = []
        if options.schema == nil || !options.header {
            while sample.count < max(options.inferenceRows, 1), try nextRecord() {
                var rec: [(bytes: [UInt8], quoted: Bool)] = []
                for k in 0..<fStart.count { rec.append((Array(field(k)), fQuoted[k])) }
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

    private func field(_ k: Int) -> ArraySlice<UInt8> {
        fScratch[k] ? scratch[fStart[k]..<fEnd[k]] : buf[fStart[k]..<fEnd[k]]
    }

    private func fill() throws -> Bool {
        guard !eof else { return false }
        if pos > 0 {
            buf.removeFirst(pos)
            pos = 0
        }
        let want = Int(min(Int64(4 << 20), file.size - fileOffset))
        if want <= 0 {
            eof = true
            return true
        }
        buf += try file.readSync(offset: fileOffset, length: want)
        fileOffset += Int64(want)
        if fileOffset >= file.size { eof = true }
        return true
    }

    /// Parses the next non-empty record into the field arrays; false at end of input.
    private func nextRecord() throws -> Bool {
        while true {
            switch try parse() {
            case .record(let next):
                recordLine = line
                for k in pos..<next where buf[k] == 10 { line += 1 }
                pos = next
                if fStart.count == 1 && !fQuoted[0] && fEnd[0] == fStart[0] { continue }  // empty line
                return true
            case .needMore:
                if !(try fill()) { return false }
            case .end:
                return false
            }
        }
    }

    private enum ParseResult { case record(Int), needMore, end }

    private func parse() throws -> ParseResult {
        let n = buf.count
        if pos >= n { return eof ? .end : .needMore }
        // Work on local arrays (moved out and back) so the loop pays no exclusivity checks.
        var fStart = self.fStart, fEnd = self.fEnd, fScratch = self.fScratch, fQuoted = self.fQuoted, scratch = self.scratch
        self.fStart = []
        self.fEnd = []
        self.fScratch = []
        self.fQuoted = []
        self.scratch = []
        defer {
            self.fStart = fStart
            self.fEnd = fEnd
            self.fScratch = fScratch
            self.fQuoted = fQuoted
            self.scratch = scratch
        }
        fStart.removeAll(keepingCapacity: true)
        fEnd.removeAll(keepingCapacity: true)
        fScratch.removeAll(keepingCapacity: true)
        fQuoted.removeAll(keepingCapacity: true)
        scratch.removeAll(keepingCapacity: true)
        let d = options.delimiter, q = options.quote
        let eof = self.eof
        var i = pos
        return buf.withUnsafeBufferPointer { b -> ParseResult in
            while true {
                if i < n && b[i] == q {
                    i += 1
                    let s0 = scratch.count
                    while true {
                        var j = i
                        while j < n && b[j] != q { j += 1 }
                        if j >= n {
                            if !eof { return .needMore }
                            // Unterminated quote at end of file: take the rest.
                            scratch.append(contentsOf: b[i..<n])
                            i = n
                            break
                        }
                        scratch.append(contentsOf: b[i..<j])
                        if j + 1 < n && b[j + 1] == q {
                            scratch.append(q)
                            i = j + 2
                            continue
                        }
                        if j + 1 >= n && !eof { return .needMore }
                        i = j + 1
                        break
                    }
                    // Text after the closing quote (lenient): keep it.
                    while i < n && b[i] != d && b[i] != 10 && b[i] != 13 {
                        scratch.append(b[i])
                        i += 1
                    }
                    if i >= n && !eof { return .needMore }
                    fStart.append(s0)
                    fEnd.append(scratch.count)
                    fScratch.append(true)
                    fQuoted.append(true)
                } else {
                    var j = i
                    while j < n {
                        let c = b[j]
                        if c == d || c == 10 || c == 13 { break }
                        j += 1
                    }
                    if j >= n && !eof { return .needMore }
                    fStart.append(i)
                    fEnd.append(j)
                    fScratch.append(false)
                    fQuoted.append(false)
                    i = j
                }
                if i >= n { return .record(n) }
                let c = b[i]
                if c == d {
                    i += 1
                    continue
                }
                if c == 13 {
                    if i + 1 >= n && !eof { return .needMore }
                    i += 1
                    if i < n && b[i] == 10 { i += 1 }
                    return .record(i)
                }
                return .record(i + 1)
            }
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
                let count = fStart.count
                if count != columnCount && !rescue { try finishRow(count, lineNo, &bad, extra: { _ in "" }) }
                let fs = fStart, fe = fEnd, fsc = fScratch, fq = fQuoted
                try buf.withUnsafeBytes { b in
                    try scratch.withUnsafeBytes { sc in
                        for k in 0..<min(columnCount, count) {
                            let src = fsc[k] ? sc : b
                            try handle(k, UnsafeRawBufferPointer(rebasing: src[fs[k]..<fe[k]]), fq[k], lineNo, &bad)
                        }
                    }
                }
                try finishRow(count, lineNo, &bad, extra: { k in String(decoding: fsc[k] ? self.scratch[fs[k]..<fe[k]] : self.buf[fs[k]..<fe[k]], as: UTF8.self) })
            }
            rows += 1
        }
        if rows == 0 { return nil }
        var cols = builders.map { $0.finish() }
        if rescue { cols.append(rescued.finish()) }
        return try RecordBatch(schema: schema, columns: cols)
    }
}
