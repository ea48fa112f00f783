import Foundation

/// Identifiers in the formats clients expect: MLflow run ids are 32 lowercase hex characters.
public enum IDGenerator {
    /// A random 128-bit id as 32 lowercase hex characters.
    public static func hex32() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    /// A random UUID string in canonical lowercase form.
    public static func uuid() -> String { UUID().uuidString.lowercased() }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// Milliseconds since the Unix epoch, the unit MLflow and Databricks APIs use.
public enum Clock {
    public static func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
