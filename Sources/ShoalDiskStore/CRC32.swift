import CZlib

/// A running CRC-32 (zlib's, the polynomial of gzip and PNG) over bytes fed in pieces.
/// zlib computes it several words at a time: a few GB/s on one core, fast enough to check
/// every whole read of a body where an MD5 would cost more than the read.
struct CRC32: Sendable, Equatable {
    private(set) var value: UInt32 = 0
    /// The bytes fed so far.
    private(set) var count = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        value = UInt32(truncatingIfNeeded: crc32_z(UInt(value), base.assumingMemoryBound(to: UInt8.self), bytes.count))
        count += bytes.count
    }

    mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The CRC of this one's bytes followed by `next`'s, from the two values alone.
    func followed(by next: CRC32) -> CRC32 {
        var joined = self
        joined.value = UInt32(truncatingIfNeeded: crc32_combine(UInt(value), UInt(next.value), .init(next.count)))
        joined.count += next.count
        return joined
    }
}
