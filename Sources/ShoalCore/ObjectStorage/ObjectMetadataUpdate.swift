/// What a fast POST stores in a `.meta` file: new user metadata and POST-able system
/// headers, at a timestamp. Sent by the object role to ``ObjectStore``'s `post`; merged
/// over the `.data` metadata by ``ObjectMetadata/applying(_:)`` on every read.
public struct ObjectMetadataUpdate: Hashable, Sendable {
    public var timestamp: SwiftTimestamp
    public var userMetadata: [String: String]
    /// Lowercase header names (Content-Encoding, Content-Disposition, X-Delete-At, ...).
    public var otherHeaders: [String: String]

    public init(timestamp: SwiftTimestamp, userMetadata: [String: String] = [:], otherHeaders: [String: String] = [:]) {
        self.timestamp = timestamp
        self.userMetadata = userMetadata
        self.otherHeaders = Dictionary(otherHeaders.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
    }

    /// Swift's limits, as for a PUT.
    public func validate() throws(ObjectMetadataLimits.Violation) {
        try ObjectMetadataLimits.check(userMetadata: userMetadata)
        try ObjectMetadataLimits.check(otherHeaders: otherHeaders)
    }
}

extension ObjectMetadataUpdate: WireCodable {
    public static let wireVersion: UInt8 = 1

    public func encode(into writer: inout ByteWriter) {
        writer.write(ObjectMetadataUpdate.wireVersion)
        timestamp.encode(into: &writer)
        ObjectMetadata.encode(userMetadata, into: &writer)
        ObjectMetadata.encode(otherHeaders, into: &writer)
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let version = try reader.readUInt8()
        guard version == ObjectMetadataUpdate.wireVersion else { throw .unsupportedVersion(version) }
        let timestamp = try SwiftTimestamp(from: &reader)
        let user = try ObjectMetadata.decodeUserMetadata(from: &reader)
        let other = try ObjectMetadata.decodeOtherHeaders(from: &reader)
        self.init(timestamp: timestamp, userMetadata: user, otherHeaders: other)
        do { try validate() } catch { throw .invalidValue(field: "metadataUpdate") }
    }
}
