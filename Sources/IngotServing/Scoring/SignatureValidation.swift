/// Checks a request frame against a model signature and puts its columns in the signature's order,
/// as MLflow's schema enforcement does: missing required columns and values that cannot be safely
/// converted are errors; a null in a floating-point column is a missing value (NaN); extra columns
/// are dropped; positional rows take the signature's names when their width matches.
extension ModelSignature {
    public func conform(_ frame: ScoringFrame) throws -> ScoringFrame {
        guard !columns.isEmpty else { return frame }
        var source: [Int?]
        if frame.columns.isEmpty {
            let width = frame.rows.first?.count ?? columns.count
            guard width == columns.count else {
                throw ServingError.schema(
                    "The model expects \(columns.count) input columns (\(columns.map(\.name).joined(separator: ", "))) but the rows have \(width) values"
                )
            }
            source = Array(0..<width)
        } else if frame.columns.count == columns.count, zip(frame.columns, columns).allSatisfy({ $0 == $1.name }) {
            // Already in the signature's order (the usual request): no lookup, the cells converted in place.
            var rows = frame.rows
            for r in rows.indices {
                guard rows[r].count == columns.count else {
                    throw ServingError.schema("Row \(r) has \(rows[r].count) values but the model expects \(columns.count) input columns")
                }
                for (c, spec) in columns.enumerated() { rows[r][c] = try Self.convert(rows[r][c], spec, row: r) }
            }
            return ScoringFrame(columns: frame.columns, rows: rows)
        } else {
            var index: [String: Int] = [:]
            for (k, c) in frame.columns.enumerated() where index[c] == nil { index[c] = k }
            source = columns.map { index[$0.name] }
            let missing = zip(columns, source).filter { $0.1 == nil && $0.0.required }.map { "'\($0.0.name)'" }
            if !missing.isEmpty {
                throw ServingError.schema(
                    "Model is missing inputs [\(missing.joined(separator: ", "))]. Note that there were extra inputs: "
                        + "[\(frame.columns.filter { c in !columns.contains(where: { $0.name == c }) }.map { "'\($0)'" }.joined(separator: ", "))]")
            }
        }
        var rows: [[ScoringValue]] = []
        rows.reserveCapacity(frame.rows.count)
        for (r, row) in frame.rows.enumerated() {
            var out = [ScoringValue](repeating: .null, count: columns.count)
            for (c, spec) in columns.enumerated() {
                guard let s = source[c] else { continue }
                guard s < row.count else { throw ServingError.schema("Row \(r) has \(row.count) values but \(frame.columns.count) columns are named") }
                out[c] = try Self.convert(row[s], spec, row: r)
            }
            rows.append(out)
        }
        return ScoringFrame(columns: columns.map(\.name), rows: rows)
    }

    static func convert(_ v: ScoringValue, _ spec: Column, row: Int) throws -> ScoringValue {
        func fail(_ got: String) -> ServingError {
            .schema("Incompatible input types for column \(spec.name) (row \(row)). Can not safely convert \(got) to \(spec.type).")
        }
        switch spec.type {
        case "double", "float":
            switch v {
            case .null: return .null
            case .double: return v
            case .int(let i): return .double(Double(i))
            case .bool: throw fail("boolean")
            case .string: throw fail("string")
            }
        case "long", "integer":
            switch v {
            case .int: return v
            case .double(let d) where d == d.rounded() && abs(d) < 9.2e18: return .int(Int64(d))
            case .double: throw fail("double")
            case .null: if spec.required { throw fail("null") } else { return .null }
            case .bool: throw fail("boolean")
            case .string: throw fail("string")
            }
        case "boolean":
            switch v {
            case .bool, .null: return v
            case .int(let i) where i == 0 || i == 1: return .bool(i == 1)
            default: throw fail(Self.typeName(v))
            }
        case "string":
            switch v {
            case .string, .null: return v
            default: throw fail(Self.typeName(v))
            }
        default:
            return v
        }
    }

    static func typeName(_ v: ScoringValue) -> String {
        switch v {
        case .null: "null"
        case .bool: "boolean"
        case .int: "long"
        case .double: "double"
        case .string: "string"
        }
    }
}

extension Predictions {
    /// The `predictions` value as MLflow's scoring server writes it.
    public var jsonValue: ServingJSON {
        switch self {
        case .vector(let v): return .array(v.map { .double($0) })
        case .matrix(let m): return .array(m.map { .array($0.map { .double($0) }) })
        case .labels(let l):
            return .array(
                l.map {
                    switch $0 {
                    case .null: .null
                    case .bool(let b): .bool(b)
                    case .int(let i): .int(i)
                    case .double(let d): .double(d)
                    case .string(let s): .string(s)
                    }
                })
        }
    }
}

extension ScoringFrame {
    /// The frame as pandas' `split` orientation JSON: `{"columns": [...], "data": [[...]]}`.
    public func splitJSON(params: ServingJSON?) -> String {
        var fields: [(String, ServingJSON)] = [
            ("columns", .array(columns.map { .string($0) })),
            ("data", .array(rows.map { .array($0.map(\.jsonValue)) })),
        ]
        if let params { fields.append(("params", params)) }
        return ServingJSON.object(fields).serialized
    }
}

extension ScoringValue {
    public var jsonValue: ServingJSON {
        switch self {
        case .null: .null
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .double(let d): d.isNaN ? .null : .double(d)
        case .string(let s): .string(s)
        }
    }
}
