import Crypto

/// The one secret a cluster is made from: 32 random bytes created at the first node's
/// first start. Every key the cluster uses (transport encryption, the path-hash salt,
/// later token keys) is derived from it with HKDF-SHA256 and a purpose label, so a
/// process without it can neither join, nor be heard, nor place data.
///
/// Its text form is `shoal1:` followed by 64 hex digits.
public struct ClusterSecret: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    static let textPrefix = "shoal1:"

    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == ClusterSecret.byteCount else { return nil }
        self.bytes = bytes
    }

    /// Parses the text form; surrounding white space is ignored.
    public init?(text: String) {
        let trimmed = text.trimmingWhitespace()
        guard trimmed.hasPrefix(ClusterSecret.textPrefix),
              let bytes = Hex.decode(String(trimmed.dropFirst(ClusterSecret.textPrefix.count)))
        else { return nil }
        self.init(bytes: bytes)
    }

    /// A new secret from `generator` (the system's generator in production).
    public static func generate(using generator: inout some RandomNumberGenerator) -> ClusterSecret {
        ClusterSecret(bytes: (0..<byteCount).map { _ in UInt8.random(in: 0...255, using: &generator) })!
    }

    /// A secret made from a phrase (its SHA-256): for tests and benchmarks, never for a cluster.
    public init(phrase: String) {
        self.bytes = Array(SHA256.hash(data: Array(phrase.utf8)))
    }

    public var text: String { ClusterSecret.textPrefix + Hex.encode(bytes) }

    /// Never prints the secret itself.
    public var description: String { "ClusterSecret(fingerprint: \(fingerprint))" }

    /// A short public name for the secret (safe to log and show): first 8 hex digits of a hash.
    public var fingerprint: String { String(Hex.encode(derive("shoal fingerprint v1", byteCount: 4))) }

    /// `byteCount` bytes of key material for `purpose`.
    public func derive(_ purpose: String, byteCount: Int = 32) -> [UInt8] {
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: bytes),
            salt: Array("shoal cluster secret".utf8),
            info: Array(purpose.utf8),
            outputByteCount: byteCount
        )
        return key.withUnsafeBytes { Array($0) }
    }

    /// The salt of the object-path hash (Swift's `swift_hash_path_prefix`/`suffix`).
    public var pathHasher: PathHasher {
        PathHasher(prefix: Hex.encode(derive("shoal path hash prefix v1", byteCount: 16)),
                   suffix: Hex.encode(derive("shoal path hash suffix v1", byteCount: 16)))
    }
}

/// Lowercase hexadecimal text of bytes and back.
public enum Hex {
    /// Digests and MACs are sequences only: gathered first.
    @inlinable
    public static func encode(_ bytes: some Sequence<UInt8>) -> String { encode(Array(bytes)) }

    /// Lowercase hex of `bytes`. Inlinable, so that each caller gets a version for its own
    /// collection type: called through the generic entry point, a 16-byte digest cost more
    /// in protocol witness calls than in the encoding (about 2 % of a GET's CPU).
    @inlinable
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            var index = 0
            for byte in bytes {
                buffer[index] = digit(byte >> 4)
                buffer[index + 1] = digit(byte & 0x0F)
                index += 2
            }
            return index
        }
    }

    /// The lowercase digit of a nibble (0...15).
    @inline(__always)
    public static func digit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// The value of a hex digit, either case; nil for any other byte.
    @inline(__always)
    public static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Nil for an odd length or a non-hex character.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(of: utf8[index]), let low = value(of: utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines.
    public func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
