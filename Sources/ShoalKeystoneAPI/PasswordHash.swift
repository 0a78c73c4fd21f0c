import Crypto
import CryptoExtras
import ShoalCore

/// Passwords as Shoal stores them: PBKDF2-HMAC-SHA256 with a 16-byte random salt and a high
/// round count, in the text form `pbkdf2-sha256$<rounds>$<salt hex>$<digest hex>`. Only
/// the hash is stored; verification compares in constant time.
public enum PasswordHash {
    /// OWASP's 2023 figure for PBKDF2-HMAC-SHA256 (and the minimum swift-crypto accepts).
    public static let defaultRounds = 600_000
    public static let minimumRounds = 210_000

    /// The stored form of `password` with `salt` (16 random bytes).
    public static func make(_ password: String, salt: [UInt8], rounds: Int = defaultRounds) -> String {
        let rounds = max(minimumRounds, rounds)
        return "pbkdf2-sha256$\(rounds)$\(Hex.encode(salt))$\(Hex.encode(derive(password, salt: salt, rounds: rounds)))"
    }

    /// Whether `password` matches `stored`; false for a malformed stored form.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), rounds >= minimumRounds,
              rounds <= 10_000_000, let salt = Hex.decode(String(parts[2])), let expected = Hex.decode(String(parts[3])),
              expected.count == 32 else { return false }
        let actual = derive(password, salt: salt, rounds: rounds)
        var difference: UInt8 = 0
        for (left, right) in zip(actual, expected) { difference |= left ^ right }
        return difference == 0
    }

    static func derive(_ password: String, salt: [UInt8], rounds: Int) -> [UInt8] {
        // Rounds are at least the minimum, so the derivation cannot refuse them.
        let key = try! KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salt, using: .sha256,
                                                      outputByteCount: 32, rounds: rounds)
        return key.withUnsafeBytes { Array($0) }
    }
}
