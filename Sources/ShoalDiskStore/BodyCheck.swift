import ShoalCore

/// What a whole read of a `.data` file's body is checked against before its last byte is
/// handed out. A current file carries a checksum (CRC-32 of record, MD5 field and body),
/// cheap enough for every GET; an older one only its MD5. The auditor asks for the MD5 as
/// well (``includingMD5()``): that proves the stored ETag end to end, at MD5's cost.
struct BodyCheck: Sendable {
    /// The running checksum and the one the prefix stores; nil for files without one.
    private var checksum: CRC32?
    private let expectedChecksum: UInt32
    /// The running MD5, when the MD5 is checked.
    private var md5: ETagHasher?
    private let expectedMD5: String

    init(prefix: DiskFileFormat.Prefix, record: [UInt8]) {
        if let stored = prefix.checksum {
            checksum = DiskFileFormat.checksumBeforeBody(record: record, md5: prefix.md5)
            expectedChecksum = stored
        } else {
            checksum = nil
            expectedChecksum = 0
            md5 = ETagHasher()
        }
        expectedMD5 = Hex.encode(prefix.md5)
    }

    /// This check with the body's MD5 compared to the stored one too.
    func includingMD5() -> BodyCheck {
        var check = self
        if check.md5 == nil { check.md5 = ETagHasher() }
        return check
    }

    mutating func update(_ chunk: [UInt8]) {
        checksum?.update(chunk)
        md5?.update(chunk)
    }

    /// Why the bytes fed are not the stored body, or nil when they are.
    func failure() -> String? {
        if let checksum, checksum.value != expectedChecksum {
            return "checksum \(checksum.value) is not the stored \(expectedChecksum)"
        }
        if let digest = md5?.finalize(), digest != expectedMD5 {
            return "body MD5 \(digest) is not the stored \(expectedMD5)"
        }
        return nil
    }
}
