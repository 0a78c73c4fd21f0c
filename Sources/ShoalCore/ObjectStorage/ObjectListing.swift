/// One line of a container listing: an object, or a subdir that stands for every object
/// whose name continues past the prefix with the delimiter. Made by the container broker,
/// serialized by the REST layer (`{"name", "bytes", "hash", "content_type",
/// "last_modified"}` or `{"subdir"}`).
public enum ObjectListing: Hashable, Sendable {
    case object(ObjectListingEntry)
    case subdir(SubdirEntry)

    /// The object name or the subdir prefix: what a client passes as the next marker.
    public var name: String {
        switch self {
        case .object(let entry): entry.name
        case .subdir(let entry): entry.prefix
        }
    }
}

/// An object as the container database knows it.
public struct ObjectListingEntry: Hashable, Sendable {
    public var name: String
    public var bytes: Int64
    /// The object's ETag (MD5 hex for plain objects), Swift's `hash`.
    public var etag: String
    public var contentType: String
    /// The timestamp of the write that made this version (`created_at`).
    public var lastModified: SwiftTimestamp

    public init(name: String, bytes: Int64, etag: String, contentType: String, lastModified: SwiftTimestamp) {
        self.name = name
        self.bytes = bytes
        self.etag = etag
        self.contentType = contentType
        self.lastModified = lastModified
    }
}
