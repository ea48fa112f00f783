import COpenSSL
import Crypto
import Foundation

/// Salted, slow password hashes: PBKDF2-HMAC-SHA256 (OpenSSL's implementation), stored as
/// `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>` so the cost can be raised later.
public enum PasswordHasher {
    public static let iterations = 210_000

    public static func hash(_ password: String, iterations: Int = PasswordHasher.iterations) -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = generator.next() }
        let derived = derive(password, salt: salt, iterations: iterations)
        return "pbkdf2-sha256$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
    }

    /// Checks a password against a stored hash in constant time.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$")
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let iterations = Int(parts[1]), iterations > 0,
            let salt = Data(base64Encoded: String(parts[2])), let expected = Data(base64Encoded: String(parts[3]))
        else { return false }
        let derived = derive(password, salt: [UInt8](salt), iterations: iterations)
        return constantTimeEqual(derived, [UInt8](expected))
    }

    static func derive(_ password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let passwordBytes = Array(password.utf8)
        let ok = passwordBytes.withUnsafeBufferPointer { pw in
            salt.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    pw.baseAddress.map { base in
                        base.withMemoryRebound(to: CChar.self, capacity: pw.count) { chars in
                            PKCS5_PBKDF2_HMAC(chars, Int32(pw.count), s.baseAddress, Int32(s.count), Int32(iterations), EVP_sha256(), Int32(o.count), o.baseAddress)
                        }
                    } ?? PKCS5_PBKDF2_HMAC("", 0, s.baseAddress, Int32(s.count), Int32(iterations), EVP_sha256(), Int32(o.count), o.baseAddress)
                }
            }
        }
        precondition(ok == 1, "PKCS5_PBKDF2_HMAC failed")
        return out
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}

/// Access tokens: `ingot_` + 40 hex characters (160 random bits), recognisable in leaked text.
/// Only a SHA-256 of the token is stored: tokens are high-entropy, so a fast hash is enough.
public enum TokenFormat {
    public static let prefix = "ingot_"

    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return prefix + bytes.map { String(format: "%02x", $0) }.joined()
    }

    public static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public static func looksLikeToken(_ value: String) -> Bool {
        value.hasPrefix(prefix) && value.count == prefix.count + 40
    }
}
