import Foundation

/// One parsed scoring request: the rows, MLflow `params`, and the client's own request id.
public struct ScoringRequest: Sendable, Equatable {
    /// Which MLflow scoring format the body used.
    public enum Format: String, Sendable {
        case dataframeSplit = "dataframe_split"
        case dataframeRecords = "dataframe_records"
        case instances, inputs, csv, v2
    }

    public var frame: ScoringFrame
    public var params: ServingJSON?
    public var clientRequestID: String?
    public var format: Format

    public init(frame: ScoringFrame, params: ServingJSON? = nil, clientRequestID: String? = nil, format: Format) {
        self.frame = frame
        self.params = params
        self.clientRequestID = clientRequestID
        self.format = format
    }

    static let formatKeys = ["dataframe_split", "dataframe_records", "instances", "inputs"]
    static let knownKeys = Set(formatKeys + ["params", "client_request_id", "dataframe_split_index", "databricks_options"])

    /// Parses a body by its content type: `text/csv` (header row) or JSON (MLflow's scoring formats).
    public static func parse(body: [UInt8], contentType: String?) throws -> ScoringRequest {
        let type =
            contentType == nil || contentType == "application/json"
            ? "application/json"  // the usual header, without the parsing below (it runs for every request)
            : (contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        if type == "text/csv" || type == "application/csv" {
            return ScoringRequest(frame: try CSVScoring.parse(body), format: .csv)
        }
        guard type.isEmpty || type == "application/json" || type.hasSuffix("+json") else {
            throw ServingError.badInput("Content type '\(contentType ?? "")' is not supported; use application/json or text/csv")
        }
        return try parse(json: try ServingJSON.parse(body))
    }

    /// Parses MLflow's JSON scoring body: exactly one of dataframe_split, dataframe_records,
    /// instances, inputs; optional params; Databricks' optional client_request_id.
    public static func parse(json: ServingJSON) throws -> ScoringRequest {
        guard let fields = json.objectValue else {
            throw ServingError.badInput("The request body must be a JSON object with one of the keys \(formatKeys.joined(separator: ", "))")
        }
        let present = fields.map(\.0).filter { formatKeys.contains($0) }
        guard present.count == 1, let key = present.first, let payload = json[key] else {
            throw ServingError.badInput(
                "Invalid input. The input must contain exactly one of the keys \(formatKeys.joined(separator: ", ")); got "
                    + (present.isEmpty ? "none" : present.joined(separator: ", ")))
        }
        if let unknown = fields.map(\.0).first(where: { !knownKeys.contains($0) }) {
            throw ServingError.badInput("Unknown key '\(unknown)' in the request body")
        }
        var params: ServingJSON?
        if let p = json["params"], p != .null {
            guard p.objectValue != nil else { throw ServingError.badInput("'params' must be a JSON object") }
            params = p
        }
        var clientID: String?
        if let c = json["client_request_id"], c != .null {
            guard let s = c.stringValue else { throw ServingError.badInput("'client_request_id' must be a string") }
            clientID = s
        }
        let frame: ScoringFrame
        let format: Format
        switch key {
        case "dataframe_split":
            frame = try split(payload)
            format = .dataframeSplit
        case "dataframe_records":
            guard let rows = payload.arrayValue else { throw ServingError.badInput("'dataframe_records' must be a list of records") }
            frame = try rowsFrame(rows, what: key)
            format = .dataframeRecords
        default:
            format = key == "instances" ? .instances : .inputs
            if let columns = payload.objectValue {
                frame = try columnar(columns, what: key)
            } else if let rows = payload.arrayValue {
                frame = try rowsFrame(rows, what: key)
            } else {
                throw ServingError.badInput("'\(key)' must be a list or an object of columns")
            }
        }
        return ScoringRequest(frame: frame, params: params, clientRequestID: clientID, format: format)
    }

    /// `what` names the cell in an error; it is built only when there is one (this runs for every cell).
    static func cell(_ v: ServingJSON, _ what: @autoclosure () -> String) throws -> ScoringValue {
        guard let s = v.scoringValue else {
            throw ServingError.badInput("\(what()): nested lists or objects are not supported as cell values")
        }
        return s
    }

    static func split(_ payload: ServingJSON) throws -> ScoringFrame {
        guard payload.objectValue != nil else { throw ServingError.badInput("'dataframe_split' must be an object {columns, data}") }
        var columns: [String] = []
        if let c = payload["columns"], c != .null {
            guard let list = c.arrayValue else { throw ServingError.badInput("dataframe_split.columns must be a list of names") }
            columns = try list.map {
                switch $0 {
                case .string(let s): return s
                case .int(let i): return String(i)
                default: throw ServingError.badInput("dataframe_split.columns must be a list of names")
                }
            }
        }
        guard let data = payload["data"]?.arrayValue else { throw ServingError.badInput("dataframe_split.data must be a list of rows") }
        var rows: [[ScoringValue]] = []
        rows.reserveCapacity(data.count)
        for (r, row) in data.enumerated() {
            let cells: [ScoringValue]
            if let list = row.arrayValue {
                cells = try list.map { try cell($0, "dataframe_split.data[\(r)]") }
            } else {
                cells = [try cell(row, "dataframe_split.data[\(r)]")]
            }
            if !columns.isEmpty, cells.count != columns.count {
                throw ServingError.badInput("dataframe_split.data[\(r)] has \(cells.count) values but there are \(columns.count) columns")
            }
            rows.append(cells)
        }
        return ScoringFrame(columns: columns, rows: rows)
    }

    /// Records (objects), positional rows (lists) or scalars (one column).
    static func rowsFrame(_ items: [ServingJSON], what: String) throws -> ScoringFrame {
        guard let first = items.first else { return ScoringFrame(columns: [], rows: []) }
        if first.objectValue != nil {
            var columns: [String] = []
            var index: [String: Int] = [:]
            for (r, item) in items.enumerated() {
                guard let fields = item.objectValue else { throw ServingError.badInput("\(what)[\(r)] must be an object like the other records") }
                for (k, _) in fields where index[k] == nil {
                    index[k] = columns.count
                    columns.append(k)
                }
            }
            var rows: [[ScoringValue]] = []
            rows.reserveCapacity(items.count)
            for (r, item) in items.enumerated() {
                var row = [ScoringValue](repeating: .null, count: columns.count)
                for (k, v) in item.objectValue ?? [] { row[index[k]!] = try cell(v, "\(what)[\(r)].\(k)") }
                rows.append(row)
            }
            return ScoringFrame(columns: columns, rows: rows)
        }
        var rows: [[ScoringValue]] = []
        rows.reserveCapacity(items.count)
        for (r, item) in items.enumerated() {
            if let list = item.arrayValue {
                rows.append(try list.map { try cell($0, "\(what)[\(r)]") })
                if rows[r].count != rows[0].count {
                    throw ServingError.badInput("\(what)[\(r)] has \(rows[r].count) values, \(what)[0] has \(rows[0].count)")
                }
            } else {
                rows.append([try cell(item, "\(what)[\(r)]")])
                if rows[0].count != 1 { throw ServingError.badInput("\(what)[\(r)] must be a list like \(what)[0]") }
            }
        }
        return ScoringFrame(columns: [], rows: rows)
    }

    /// `{"inputs": {"a": [1, 2], "b": [3, 4]}}`: named columns of equal length.
    static func columnar(_ columns: [(String, ServingJSON)], what: String) throws -> ScoringFrame {
        var lists: [[ServingJSON]] = []
        for (name, v) in columns {
            if let l = v.arrayValue { lists.append(l) } else { lists.append([v]) }
            if lists.last!.count != lists[0].count {
                throw ServingError.badInput("\(what).\(name) has \(lists.last!.count) values, \(columns[0].0) has \(lists[0].count)")
            }
        }
        let n = lists.first?.count ?? 0
        var rows: [[ScoringValue]] = []
        rows.reserveCapacity(n)
        for r in 0..<n {
            rows.append(try lists.enumerated().map { try cell($0.element[r], "\(what).\(columns[$0.offset].0)[\(r)]") })
        }
        return ScoringFrame(columns: columns.map(\.0), rows: rows)
    }
}

/// `text/csv` scoring bodies: a header row, then one row per line (RFC 4180 quoting). Empty
/// fields are missing values; numbers become numbers, everything else text.
public enum CSVScoring {
    public static func parse(_ bytes: [UInt8]) throws -> ScoringFrame {
        var records: [[String?]] = []
        var field: [UInt8] = []
        var record: [String?] = []
        var quoted = false
        var wasQuoted = false
        var i = 0
        func endField() {
            record.append(field.isEmpty && !wasQuoted ? nil : String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        while i < bytes.count {
            let c = bytes[i]
            if quoted {
                if c == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(c)
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == UInt8(ascii: "\"") && field.isEmpty {
                quoted = true
                wasQuoted = true
            } else if c == UInt8(ascii: ",") {
                endField()
            } else if c == 0x0A || c == 0x0D {
                if c == 0x0D, i + 1 < bytes.count, bytes[i + 1] == 0x0A { i += 1 }
                endField()
                if !(record.count == 1 && record[0] == nil) { records.append(record) }
                record.removeAll()
            } else {
                field.append(c)
            }
            i += 1
        }
        if quoted { throw ServingError.badInput("Malformed CSV: unterminated quoted field") }
        if !field.isEmpty || !record.isEmpty || wasQuoted {
            endField()
            records.append(record)
        }
        guard let header = records.first else { throw ServingError.badInput("Malformed CSV: the body is empty (a header row is required)") }
        let columns = header.map { $0 ?? "" }
        var rows: [[ScoringValue]] = []
        rows.reserveCapacity(records.count - 1)
        for (r, rec) in records.dropFirst().enumerated() {
            guard rec.count == columns.count else {
                throw ServingError.badInput("Malformed CSV: row \(r + 1) has \(rec.count) fields, the header has \(columns.count)")
            }
            rows.append(
                rec.map { value in
                    guard let value else { return .null }
                    if let i = Int64(value) { return .int(i) }
                    if let d = Double(value) { return .double(d) }
                    switch value {
                    case "True", "true": return .bool(true)
                    case "False", "false": return .bool(false)
                    default: return .string(value)
                    }
                })
        }
        return ScoringFrame(columns: columns, rows: rows)
    }
}
