import Foundation

/// The input side of an MLflow model signature, read from the `MLmodel` file: either named columns
/// with types (`[{"name": "x", "type": "double", "required": true}, …]`) or a tensor spec (no names).
public struct ModelSignature: Sendable, Equatable {
    public struct Column: Sendable, Equatable {
        public var name: String
        /// MLflow's column type: double, float, long, integer, boolean, string, binary, datetime, …
        public var type: String
        public var required: Bool

        public init(name: String, type: String, required: Bool = true) {
            self.name = name
            self.type = type
            self.required = required
        }

        /// The Open Inference Protocol datatype for this column.
        public var v2Datatype: String {
            switch type {
            case "double": "FP64"
            case "float": "FP32"
            case "long": "INT64"
            case "integer": "INT32"
            case "boolean": "BOOL"
            default: "BYTES"
            }
        }
    }

    /// Named columns; empty for a tensor-based signature.
    public var columns: [Column]
    /// The raw JSON text of `signature.inputs` and `signature.outputs` (for metadata endpoints).
    public var inputsJSON: String?
    public var outputsJSON: String?

    public init(columns: [Column], inputsJSON: String? = nil, outputsJSON: String? = nil) {
        self.columns = columns
        self.inputsJSON = inputsJSON
        self.outputsJSON = outputsJSON
    }

    /// Parses the `inputs`/`outputs` JSON strings of an `MLmodel` signature.
    public static func parse(inputs: String?, outputs: String?) throws -> ModelSignature? {
        guard let inputs, !inputs.isEmpty, inputs != "null" else { return nil }
        let value = try ServingJSON.parse(Array(inputs.utf8))
        var columns: [Column] = []
        for spec in value.arrayValue ?? [] {
            guard let name = spec["name"]?.stringValue, let type = spec["type"]?.stringValue, type != "tensor" else { continue }
            var required = true
            if case .bool(let r) = spec["required"] ?? .bool(true) { required = r }
            columns.append(Column(name: name, type: type, required: required))
        }
        return ModelSignature(columns: columns, inputsJSON: inputs, outputsJSON: outputs)
    }
}

/// The few facts Ingot reads from an `MLmodel` file (YAML written by MLflow with PyYAML):
/// the flavors present and the signature's JSON strings. A small line reader, not a YAML parser:
/// MLflow writes these keys in a fixed, simple shape.
public struct MLmodelFile: Sendable, Equatable {
    public var flavors: [String]
    public var signature: ModelSignature?
    public var text: String

    public init(text: String) throws {
        self.text = text
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var flavors: [String] = []
        var inFlavors = false
        var inSignature = false
        var inputs: String?
        var outputs: String?
        var k = 0
        while k < lines.count {
            let line = lines[k]
            let indent = line.prefix(while: { $0 == " " }).count
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if indent == 0, !trimmed.isEmpty {
                inFlavors = trimmed == "flavors:"
                inSignature = trimmed == "signature:"
            } else if inFlavors, indent == 2, trimmed.hasSuffix(":"), !trimmed.hasPrefix("-") {
                flavors.append(String(trimmed.dropLast()))
            } else if inSignature, indent == 2 {
                for key in ["inputs", "outputs"] where trimmed.hasPrefix(key + ":") {
                    var (value, next) = Self.scalar(after: String(trimmed.dropFirst(key.count + 1)), lines: lines, from: k + 1)
                    if value == "null" || value == "~" { value = "" }
                    if key == "inputs" { inputs = value } else { outputs = value }
                    k = next - 1
                }
            }
            k += 1
        }
        self.flavors = flavors
        self.signature = try ModelSignature.parse(inputs: inputs, outputs: outputs)
    }

    /// Reads a YAML scalar that may be single-quoted and folded over several lines.
    static func scalar(after rest: String, lines: [String], from start: Int) -> (String, Int) {
        let head = rest.trimmingCharacters(in: .whitespaces)
        guard head.hasPrefix("'") else { return (head, start) }
        var text = String(head.dropFirst())
        var next = start
        func closed(_ s: String) -> Bool {
            // A closing quote is a single ' at the end not part of an escaped ''.
            var count = 0
            for c in s.reversed() { if c == "'" { count += 1 } else { break } }
            return count % 2 == 1
        }
        while !closed(text), next < lines.count {
            let cont = lines[next].trimmingCharacters(in: .whitespaces)
            text += cont.isEmpty ? "\n" : (text.hasSuffix("\n") ? cont : " " + cont)
            next += 1
        }
        if closed(text) { text.removeLast() }
        return (text.replacingOccurrences(of: "''", with: "'"), next)
    }
}
