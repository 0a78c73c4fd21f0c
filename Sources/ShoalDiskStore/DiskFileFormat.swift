import ShoalCore
import ShoalPorts

/// The layout of every file the disk store writes (`.data`, `.ts`, `.meta`): a fixed
/// prefix, an encoded record, zero padding, then the body (only `.data` has one).
///
///     "SHOB" | version u8 | kind u8 | padding u16 | bodyLength u64 | md5 [16] | recordLength u32 | checksum u32
///
/// The checksum (version 3) is the CRC-32 of the record, the MD5 field and the body: a
/// whole read checks it at a few GB/s where MD5 manages a few hundred MB/s, so a GET never
/// hands out a body that rotted on disk without paying for an MD5; the auditor checks
/// both. Versions 1 and 2 (read, no longer written) have no checksum field, a 36-byte
/// prefix, and are checked by their MD5; version 1 has no padding (the field is 0).
/// Padding puts a large body on a block boundary, as direct I/O needs.
///
/// A `.data` record is the stored path and the ``ObjectMetadata`` (its ETag and length
/// fields are taken from the prefix, which is rewritten once the body has streamed); a `.ts`
/// record is the path and timestamp; a `.meta` record is an ``ObjectMetadataUpdate``. Data
/// and metadata live in one file, so one fdatasync makes both durable; no xattrs are used.
enum DiskFileFormat {
    static let magic: [UInt8] = Array("SHOB".utf8)
    /// The version every file is written in.
    static let version: UInt8 = 3
    /// The prefix of the version written.
    static let prefixBytes = 40
    /// The prefix of versions 1 and 2.
    static let uncheckedPrefixBytes = 36
    /// Records larger than this are refused as corrupt.
    static let maximumRecordBytes = 1 << 20

    enum Kind: UInt8 {
        case data = 1
        case tombstone = 2
        case meta = 3
    }

    /// A decoded prefix.
    struct Prefix {
        var kind: Kind
        var bodyLength: Int
        var md5: [UInt8]
        var recordLength: Int
        /// Zero bytes between the record and the body.
        var padding = 0
        /// The CRC-32 of record, MD5 and body; nil in versions 1 and 2.
        var checksum: UInt32?
        /// Where the record starts.
        var recordStart: Int { checksum == nil ? DiskFileFormat.uncheckedPrefixBytes : DiskFileFormat.prefixBytes }
        /// Where the record ends.
        var recordEnd: Int { recordStart + recordLength }
        /// Where the body starts in the file.
        var bodyOffset: Int { recordEnd + padding }
    }

    /// The zero bytes that put a body after `headerBytes` of prefix and record at a
    /// multiple of `alignment`.
    static func padding(after headerBytes: Int, alignment: Int) -> Int {
        (alignment - headerBytes % alignment) % alignment
    }

    /// A current-version prefix. `checksum` covers the record, `md5` (16 zero bytes when
    /// empty) and the body.
    static func encodePrefix(kind: Kind, bodyLength: Int, md5: [UInt8], recordLength: Int, padding: Int = 0,
                             checksum: UInt32) -> [UInt8] {
        precondition((0...Int(UInt16.max)).contains(padding), "padding beyond a u16")
        var writer = ByteWriter(reservingCapacity: prefixBytes)
        writer.writeRaw(magic)
        writer.write(version)
        writer.write(kind.rawValue)
        writer.write(UInt16(padding))
        writer.write(UInt64(bodyLength))
        writer.writeRaw(md5Field(md5))
        writer.write(UInt32(recordLength))
        writer.write(checksum)
        return writer.bytes
    }

    /// The 16 bytes stored for `md5`: itself, or zeros for a file without a body digest.
    static func md5Field(_ md5: [UInt8]) -> [UInt8] {
        md5.count == 16 ? md5 : [UInt8](repeating: 0, count: 16)
    }

    /// The checksum of a file once its record and MD5 field are fed: the body comes next.
    static func checksumBeforeBody(record: [UInt8], md5: [UInt8]) -> CRC32 {
        var crc = CRC32()
        crc.update(record)
        crc.update(md5Field(md5))
        return crc
    }

    /// A header-only file (`.ts`, `.meta`): prefix and record.
    static func smallFile(kind: Kind, record: [UInt8]) -> [UInt8] {
        let checksum = checksumBeforeBody(record: record, md5: []).value
        return encodePrefix(kind: kind, bodyLength: 0, md5: [], recordLength: record.count, checksum: checksum) + record
    }

    /// Checks a header-only file's record against its prefix's checksum (versions without
    /// one pass).
    static func recordIsIntact(_ record: [UInt8], prefix: Prefix) -> Bool {
        guard let stored = prefix.checksum else { return true }
        return checksumBeforeBody(record: record, md5: prefix.md5).value == stored
    }

    /// Decodes the prefix at the start of `bytes`, which hold at least ``prefixBytes``
    /// (or the whole file, when shorter).
    static func decodePrefix(_ bytes: [UInt8]) throws(WireError) -> Prefix {
        var reader = ByteReader(bytes)
        guard try reader.readRaw(count: 4) == magic else { throw .badMagic }
        let fileVersion = try reader.readUInt8()
        guard (1...version).contains(fileVersion) else { throw .unsupportedVersion(fileVersion) }
        let tag = try reader.readUInt8()
        guard let kind = Kind(rawValue: tag) else { throw .unknownTag(field: "kind", value: UInt64(tag)) }
        let padding = try reader.readUInt16()
        guard fileVersion != 1 || padding == 0 else { throw .lengthOutOfRange(field: "padding", value: UInt64(padding)) }
        let bodyLength = try reader.readUInt64()
        guard bodyLength <= UInt64(Int64.max) else { throw .lengthOutOfRange(field: "bodyLength", value: bodyLength) }
        let md5 = try reader.readRaw(count: 16)
        let recordLength = try reader.readUInt32()
        guard recordLength <= UInt32(maximumRecordBytes) else { throw .lengthOutOfRange(field: "record", value: UInt64(recordLength)) }
        let checksum: UInt32? = if fileVersion >= 3 { try reader.readUInt32() } else { nil }
        return Prefix(kind: kind, bodyLength: Int(bodyLength), md5: md5, recordLength: Int(recordLength), padding: Int(padding),
                      checksum: checksum)
    }

    /// A `.data` record: path, then metadata.
    static func dataRecord(path: String, metadata: ObjectMetadata) -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: 256)
        writer.writeString(path)
        metadata.encode(into: &writer)
        return writer.bytes
    }

    /// A `.ts` record: path, then timestamp.
    static func tombstoneRecord(path: String, timestamp: SwiftTimestamp) -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: 64)
        writer.writeString(path)
        timestamp.encode(into: &writer)
        return writer.bytes
    }

    /// Decodes a `.data` record and puts the prefix's size and MD5 into the metadata.
    static func decodeData(record: [UInt8], prefix: Prefix) throws(WireError) -> (path: String, metadata: ObjectMetadata) {
        var reader = ByteReader(record)
        let path = try reader.readString(field: "path", limit: 2_048)
        var metadata = try ObjectMetadata(from: &reader)
        try reader.expectEnd()
        metadata.contentLength = prefix.bodyLength
        metadata.etag = Hex.encode(prefix.md5)
        return (path, metadata)
    }

    /// Decodes a `.ts` record.
    static func decodeTombstone(record: [UInt8]) throws(WireError) -> (path: String, timestamp: SwiftTimestamp) {
        var reader = ByteReader(record)
        let path = try reader.readString(field: "path", limit: 2_048)
        let timestamp = try SwiftTimestamp(from: &reader)
        try reader.expectEnd()
        return (path, timestamp)
    }

    /// Parses 32 hex digits into 16 bytes.
    static func md5Bytes(hex: String) -> [UInt8] {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 32 else { return [] }
        func nibble(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : c - 0x61 + 10 }
        return (0..<16).map { nibble(utf8[2 * $0]) << 4 | nibble(utf8[2 * $0 + 1]) }
    }
}
