import CISAL
import CZlib

/// A running CRC-32 (zlib's, the polynomial of gzip and PNG) over bytes fed in pieces.
/// ISA-L computes it (`crc32_gzip_refl`, the same CRC as zlib's `crc32`) by carry-less
/// multiplication, several times faster than zlib's tables, so checking every whole read
/// of a body costs a small part of the read; zlib joins two CRCs.
struct CRC32: Sendable, Equatable {
    private(set) var value: UInt32 = 0
    /// The bytes fed so far.
    private(set) var count = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        value = crc32_gzip_refl(value, base.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
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
