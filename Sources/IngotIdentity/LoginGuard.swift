import Crypto
import Foundation

/// Shared state of the login path: recent successful password checks (PBKDF2 is deliberately slow
/// and HTTP Basic clients send the password on every request) and failed attempts per name, which
/// throttle brute force.
actor LoginGuard {
    private var verified: [String: Date] = [:]
    private var failures: [String: (count: Int, since: Date)] = [:]
    let cacheLifetime: TimeInterval = 60
    let maxFailures = 5
    let failureWindow: TimeInterval = 300

    /// Key for a name/password pair that never holds the password itself.
    static func key(_ name: String, _ password: String) -> String {
        SHA256.hash(data: Data((name.lowercased() + "\u{0}" + password).utf8)).map { String(format: "%02x", $0) }.joined()
    }

    func isVerified(_ key: String) -> Bool {
        guard let until = verified[key] else { return false }
        if until > Date() { return true }
        verified[key] = nil
        return false
    }

    func remember(_ key: String) {
        if verified.count > 10_000 { verified.removeAll() }
        verified[key] = Date().addingTimeInterval(cacheLifetime)
    }

    /// Forgets cached verifications (after a password change or deletion).
    func forgetAll() { verified.removeAll() }

    func isThrottled(_ name: String) -> Bool {
        guard let entry = failures[name.lowercased()] else { return false }
        if Date().timeIntervalSince(entry.since) > failureWindow {
            failures[name.lowercased()] = nil
            return false
        }
        return entry.count >= maxFailures
    }

    func recordFailure(_ name: String) {
        let key = name.lowercased()
        if let entry = failures[key], Date().timeIntervalSince(entry.since) <= failureWindow {
            failures[key] = (entry.count + 1, entry.since)
        } else {
            failures[key] = (1, Date())
        }
    }

    func recordSuccess(_ name: String) { failures[name.lowercased()] = nil }
}
