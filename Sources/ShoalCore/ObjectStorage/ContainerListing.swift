/// One line of an account listing: a container, or a subdir of container names. Made by
/// the account broker, serialized by the REST layer (`{"name", "count", "bytes",
/// "last_modified"}` or `{"subdir"}`).
public enum ContainerListing: Hashable, Sendable {
    case container(ContainerListingEntry)
    case subdir(SubdirEntry)

    /// The container name or the subdir prefix.
    public var name: String {
        switch self {
        case .container(let entry): entry.name
        case .subdir(let entry): entry.prefix
        }
    }
}

/// A container as its account database knows it: the usage its container servers last
/// reported.
public struct ContainerListingEntry: Hashable, Sendable {
    public var name: String
    /// Objects in the container.
    public var count: Int64
    public var bytes: Int64
    /// The container's put timestamp.
    public var lastModified: SwiftTimestamp

    public init(name: String, count: Int64, bytes: Int64, lastModified: SwiftTimestamp) {
        self.name = name
        self.count = count
        self.bytes = bytes
        self.lastModified = lastModified
    }
}
