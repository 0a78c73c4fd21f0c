/// Everything a store keeps about one object version besides its bytes: Swift's metadata
/// dict for a `.data` file. Written by the object role on PUT, returned on GET and HEAD,
/// replaced in part by a POST (see ``ObjectMetadataUpdate``).
///
/// `userMetadata` holds `X-Object-Meta-*` items by name without the prefix. `otherHeaders`
/// holds the system headers a PUT may set (Content-Encoding, Content-Disposition,
/// X-Delete-At, X-Object-Manifest, X-Static-Large-Object, ...) with lowercase names.
public struct ObjectMetadata: Hashable, Sendable {
    public var timestamp: SwiftTimestamp
    public var contentType: String
    /// Body size in bytes. On PUT a store replaces it with the size it received.
    public var contentLength: Int
    /// MD5 of the body as lowercase hex. On PUT a store replaces it with the MD5 it computed.
    public var etag: String
    public var userMetadata: [String: String]
    public var otherHeaders: [String: String]

    /// System headers that belong to the `.data` file and survive a POST
    /// (Swift's `DATAFILE_SYSTEM_META`).
    public static let headersKeptOnPost: Set<String> = ["x-static-large-object"]

    /// Whether a POST leaves header `name` (lowercase) as the `.data` file has it: the
    /// ``headersKeptOnPost`` and all object sysmeta (`x-object-sysmeta-*`), as in Swift.
    public static func isKeptOnPost(_ name: String) -> Bool {
        headersKeptOnPost.contains(name) || name.hasPrefix("x-object-sysmeta-")
    }

    /// Header names in `otherHeaders` are lowercased here.
    public init(timestamp: SwiftTimestamp, contentType: String = "application/octet-stream", contentLength: Int = 0,
                etag: String = "", userMetadata: [String: String] = [:], otherHeaders: [String: String] = [:]) {
        self.timestamp = timestamp
        self.contentType = contentType
        self.contentLength = contentLength
        self.etag = etag
        self.userMetadata = userMetadata
        self.otherHeaders = Dictionary(otherHeaders.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
    }

    /// Checks Swift's limits (item counts, name and value lengths, 4 KiB of user metadata,
    /// Content-Type length). Stores call it before writing anything.
    public func validate() throws(ObjectMetadataLimits.Violation) {
        try ObjectMetadataLimits.check(userMetadata: userMetadata)
        try ObjectMetadataLimits.check(otherHeaders: otherHeaders)
        guard contentType.utf8.count <= ObjectMetadataLimits.maximumContentTypeBytes else { throw .contentTypeTooLong }
        guard etag.utf8.count <= ObjectMetadataLimits.maximumETagBytes else { throw .etagTooLong }
        guard contentLength >= 0 else { throw .negativeLength }
    }

    /// This `.data` metadata as a newer `.meta` file changes it, the way Swift's DiskFile
    /// merges them: the update's timestamp, user metadata and other headers replace these;
    /// content type, length, ETag, ``headersKeptOnPost`` and sysmeta stay.
    public func applying(_ update: ObjectMetadataUpdate) -> ObjectMetadata {
        var merged = self
        merged.timestamp = update.timestamp
        merged.userMetadata = update.userMetadata
        var headers = update.otherHeaders.filter { !ObjectMetadata.isKeptOnPost($0.key) }
        for (name, value) in otherHeaders where ObjectMetadata.isKeptOnPost(name) { headers[name] = value }
        merged.otherHeaders = headers
        return merged
    }
}
