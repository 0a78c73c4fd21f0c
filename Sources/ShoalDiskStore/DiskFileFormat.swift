import ShoalCore
import ShoalPorts

/// The layout of every file the disk store writes (`.data`, `.ts`, `.meta`): a fixed
/// 36-byte prefix, an encoded record, zero padding, then the body (only `.data` has one).
///
///     "SHOB" | version u8 | kind u8 | padding u16 | bodyLength u64 | md5 [16] | recordLength u32
///
/// Version 1 files have no padding (the field is 0). Version 2 files pad the record so the
/// body starts on a block boundary, as direct I/O needs; large bodies are written that way.
///
/// A `.data` record is the stored path and the ``ObjectMetadata`` (its ETag and length
/// fields are taken from the prefix, which is rewritten once the body has streamed); a `.ts`
/// record is the path and timestamp; a `.meta` record is an ``ObjectMetadataUpdate``. Data
/// and metadata live in one file, so one fdatasync makes both durable; no xattrs are used.
enum DiskFileFormat {
    static let magic: [UInt8] = Array("SHOB".utf8)
    static let version: UInt8 = 1
    /// The version of files whose body is padded to a block boundary.
    static let paddedVersion: UInt8 = 2
    static let prefixBytes = 36
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
        /// Where the record ends.
        var recordEnd: Int { DiskFileFormat.prefixBytes + recordLength }
        /// Where the body starts in the file.
        var bodyOffset: Int { recordEnd + padding }
    }

    /// The zero bytes that put a body after `headerBytes` of prefix and record at a
    /// multiple of `alignment`.
    static func padding(after headerBytes: Int, alignment: Int) -> Int {
        (alignment - headerBytes % alignment) % alignment
    }

    static func encodePrefix(kind: Kind, bodyLength: Int, md5: [UInt8], recordLength: Int, padding: Int = 0) -> [UInt8] {
        precondition((0...Int(UInt16.max)).contains(padding), "padding beyond a u16")
        var writer = ByteWriter(reservingCapacity: prefixBytes)
        writer.writeRaw(magic)
        writer.write(padding == 0 ? version : paddedVersion)
        writer.write(kind.rawValue)
        writer.write(UInt16(padding))
        writer.write(UInt64(bodyLength))
        writer.writeRaw(md5.count == 16 ? md5 : [UInt8](repeating: 0, count: 16))
        writer.write(UInt32(recordLength))
        return writer.bytes
    }

    static func decodePrefix(_ bytes: [UInt8]) throws(WireError) -> Prefix {
        var reader = ByteReader(bytes)
        guard try reader.readRaw(count: 4) == magic else { throw .badMagic }
        let fileVersion = try reader.readUInt8()
        guard fileVersion == version || fileVersion == paddedVersion else { throw .unsupportedVersion(fileVersion) }
        let tag = try reader.readUInt8()
        guard let kind = Kind(rawValue: tag) else { throw .unknownTag(field: "kind", value: UInt64(tag)) }
        let padding = try reader.readUInt16()
        guard fileVersion == paddedVersion || padding == 0 else { throw .lengthOutOfRange(field: "padding", value: UInt64(padding)) }
        let bodyLength = try reader.readUInt64()
        guard bodyLength <= UInt64(Int64.max) else { throw .lengthOutOfRange(field: "bodyLength", value: bodyLength) }
        let md5 = try reader.readRaw(count: 16)
        let recordLength = try reader.readUInt32()
        guard recordLength <= UInt32(maximumRecordBytes) else { throw .lengthOutOfRange(field: "record", value: UInt64(recordLength)) }
        return Prefix(kind: kind, bodyLength: Int(bodyLength), md5: md5, recordLength: Int(recordLength), padding: Int(padding))
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
