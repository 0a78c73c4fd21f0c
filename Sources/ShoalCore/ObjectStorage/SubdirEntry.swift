/// A pseudo-directory in a listing with a delimiter: the prefix up to and including the
/// delimiter (`photos/2024/`). Shared by object and container listings.
public struct SubdirEntry: Hashable, Sendable {
    public var prefix: String

    public init(prefix: String) {
        self.prefix = prefix
    }
}
