extension ObjectMetadata: WireCodable {
    /// Format version written first; a decoder refuses versions it does not know.
    public static let wireVersion: UInt8 = 1

    public func encode(into writer: inout ByteWriter) {
        writer.write(ObjectMetadata.wireVersion)
        timestamp.encode(into: &writer)
        writer.writeString(contentType)
        writer.writeVarint(UInt64(max(0, contentLength)))
        writer.writeString(etag)
        ObjectMetadata.encode(userMetadata, into: &writer)
        ObjectMetadata.encode(otherHeaders, into: &writer)
    }

    /// Decodes untrusted bytes within Swift's limits: throws, never traps.
    public init(from reader: inout ByteReader) throws(WireError) {
        let version = try reader.readUInt8()
        guard version == ObjectMetadata.wireVersion else { throw .unsupportedVersion(version) }
        let timestamp = try SwiftTimestamp(from: &reader)
        let contentType = try reader.readString(field: "contentType", limit: ObjectMetadataLimits.maximumContentTypeBytes)
        let length = try reader.readVarint(field: "contentLength")
        guard length <= UInt64(Int64.max) else { throw .lengthOutOfRange(field: "contentLength", value: length) }
        let etag = try reader.readString(field: "etag", limit: ObjectMetadataLimits.maximumETagBytes)
        let user = try ObjectMetadata.decodeUserMetadata(from: &reader)
        let other = try ObjectMetadata.decodeOtherHeaders(from: &reader)
        self.init(timestamp: timestamp, contentType: contentType, contentLength: Int(length), etag: etag,
                  userMetadata: user, otherHeaders: other)
        do { try validate() } catch { throw .invalidValue(field: "metadata") }
    }

    /// A count, then name and value strings, sorted by name so equal maps encode equally.
    static func encode(_ pairs: [String: String], into writer: inout ByteWriter) {
        writer.writeVarint(pairs.count)
        for (name, value) in pairs.sorted(by: { $0.key < $1.key }) {
            writer.writeString(name)
            writer.writeString(value)
        }
    }

    /// User metadata as encoded, within Swift's item, name and value limits.
    static func decodeUserMetadata(from reader: inout ByteReader) throws(WireError) -> [String: String] {
        try decodePairs(from: &reader, field: "userMetadata", count: ObjectMetadataLimits.maximumUserItems,
                        name: ObjectMetadataLimits.maximumNameBytes, value: ObjectMetadataLimits.maximumValueBytes)
    }

    /// System headers as encoded, within their limits.
    static func decodeOtherHeaders(from reader: inout ByteReader) throws(WireError) -> [String: String] {
        try decodePairs(from: &reader, field: "otherHeaders", count: ObjectMetadataLimits.maximumOtherHeaders,
                        name: ObjectMetadataLimits.maximumOtherHeaderNameBytes,
                        value: ObjectMetadataLimits.maximumOtherHeaderValueBytes)
    }

    /// Reads what ``encode(_:into:)`` wrote, refusing duplicates and anything over the limits.
    static func decodePairs(from reader: inout ByteReader, field: String, count limit: Int, name nameLimit: Int,
                            value valueLimit: Int) throws(WireError) -> [String: String] {
        let count = try reader.readItemCount(field: field, minimumItemBytes: 2, limit: limit)
        var pairs: [String: String] = [:]
        pairs.reserveCapacity(count)
        for _ in 0..<count {
            let name = try reader.readString(field: field, limit: nameLimit)
            let value = try reader.readString(field: field, limit: valueLimit)
            guard pairs.updateValue(value, forKey: name) == nil else { throw .invalidValue(field: field) }
        }
        return pairs
    }
}
