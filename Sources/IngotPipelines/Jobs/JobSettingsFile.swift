import Foundation
import Yams

/// Reads a job definition file (YAML or JSON, Databricks' settings shape) into JSON-ready values.
public enum JobSettingsFile {
    /// - Parameter path: a `.yaml`, `.yml` or `.json` file.
    /// - Returns: the settings as a JSON object, validated against ``JobSettings``.
    public static func load(_ path: String) throws -> [String: Any] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw JobError.invalid("cannot read \(path)") }
        let value: Any?
        if path.lowercased().hasSuffix(".json") {
            value = try? JSONSerialization.jsonObject(with: Data(text.utf8))
        } else {
            do { value = try Yams.load(yaml: text) } catch { throw JobError.invalid("\(path): invalid YAML: \(error)") }
        }
        guard let map = jsonReady(value) as? [String: Any] else { throw JobError.invalid("\(path): expected a mapping of job settings") }
        let settings: JobSettings
        do { settings = try JobsJSON.decoder.decode(JobSettings.self, from: JSONSerialization.data(withJSONObject: map)) } catch {
            throw JobError.invalid("\(path): \(error)")
        }
        try JobValidation.validate(settings)
        return map
    }

    /// YAML scalars and collections as JSONSerialization accepts them.
    static func jsonReady(_ v: Any?) -> Any {
        switch v {
        case let d as [String: Any]: return d.mapValues { jsonReady($0) }
        case let d as [AnyHashable: Any]: return Dictionary(uniqueKeysWithValues: d.map { ("\($0.key)", jsonReady($0.value)) })
        case let a as [Any]: return a.map { jsonReady($0) }
        case let s as String: return s
        case let b as Bool: return b
        case let i as Int: return i
        case let d as Double: return d
        case nil: return NSNull()
        default: return "\(v!)"
        }
    }
}
