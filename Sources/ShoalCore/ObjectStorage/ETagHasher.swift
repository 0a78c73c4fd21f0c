import Crypto

/// Incremental MD5 as lowercase hex: an object's ETag, fed chunk by chunk as a body
/// streams, and the suffix hashes the replicator compares. Used by every object store.
public struct ETagHasher: Sendable {
    private var md5 = Insecure.MD5()

    public init() {}

    public mutating func update(_ bytes: [UInt8]) { md5.update(data: bytes) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) { md5.update(bufferPointer: bytes) }

    public mutating func update(_ text: String) { md5.update(data: Array(text.utf8)) }

    /// The digest as 32 lowercase hex digits.
    public func finalize() -> String { Hex.encode(md5.finalize()) }

    /// MD5 hex of `bytes` in one call.
    public static func hex(of bytes: [UInt8]) -> String {
        var hasher = ETagHasher()
        hasher.update(bytes)
        return hasher.finalize()
    }
}
