/// The MD5 of an object's salted path as 32 lowercase hex digits: the name of its hash
/// directory on disk (Swift's `<hash>` in `objects/<partition>/<suffix>/<hash>`).
///
/// Only a validated value exists, so a store can build a file path from it without risk of
/// path traversal. Built by the proxy from ``PathHasher`` or parsed from peer messages.
public struct ObjectHash: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// 32 lowercase hex digits.
    public let hex: String

    /// Nil unless `hex` is exactly 32 characters of `0-9a-f`.
    public init?(hex: String) {
        let utf8 = hex.utf8
        guard utf8.count == 32, utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            return nil
        }
        self.hex = hex
    }

    /// From a 16-byte MD5 digest (``PathHasher/digest(account:container:object:)``).
    public init?(digest: [UInt8]) {
        guard digest.count == 16 else { return nil }
        self.init(hex: Hex.encode(digest))
    }

    /// Swift's suffix directory: the last three hex digits.
    public var suffix: String { String(hex.suffix(3)) }

    public var description: String { hex }

    public static func < (lhs: ObjectHash, rhs: ObjectHash) -> Bool { lhs.hex < rhs.hex }

    /// True when `text` is a valid suffix directory name (three lowercase hex digits).
    public static func isSuffix(_ text: String) -> Bool {
        text.utf8.count == 3 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}
