/// OpenStack Swift's metadata constraints (`swift/common/constraints.py`), enforced when a
/// store accepts metadata and again when it decodes metadata from disk or the wire.
public enum ObjectMetadataLimits {
    /// At most this many `X-Object-Meta-*` items.
    public static let maximumUserItems = 90
    /// Bytes of a user metadata name, without the `X-Object-Meta-` prefix.
    public static let maximumNameBytes = 128
    /// Bytes of one user metadata value.
    public static let maximumValueBytes = 256
    /// Sum of name and value bytes over all user metadata.
    public static let maximumOverallBytes = 4_096
    /// Bytes of the Content-Type.
    public static let maximumContentTypeBytes = 256
    /// Other headers (Content-Encoding, X-Delete-At, X-Object-Manifest, ...): at most this many,
    public static let maximumOtherHeaders = 32
    /// each name at most this long,
    public static let maximumOtherHeaderNameBytes = 128
    /// each value at most Swift's `MAX_HEADER_SIZE`.
    public static let maximumOtherHeaderValueBytes = 8_192
    /// An ETag: 32 hex digits, or a quoted or suffixed form, never longer than this.
    public static let maximumETagBytes = 128
    public static let maximumAccountNameBytes = 256
    public static let maximumContainerNameBytes = 256
    public static let maximumObjectNameBytes = 1_024

    /// Why metadata was refused: the names of Swift's 400 responses.
    public enum Violation: Error, Equatable, Sendable {
        case tooManyItems(Int)
        case emptyName
        case nameTooLong(String)
        case valueTooLong(String)
        case overallTooLarge(Int)
        case contentTypeTooLong
        case etagTooLong
        case negativeLength
        case tooManyOtherHeaders(Int)
        case otherHeaderTooLong(String)
    }

    /// Checks user metadata against the item, name, value and overall limits.
    public static func check(userMetadata: [String: String]) throws(Violation) {
        guard userMetadata.count <= maximumUserItems else { throw .tooManyItems(userMetadata.count) }
        var overall = 0
        for (name, value) in userMetadata {
            guard !name.isEmpty else { throw .emptyName }
            guard name.utf8.count <= maximumNameBytes else { throw .nameTooLong(name) }
            guard value.utf8.count <= maximumValueBytes else { throw .valueTooLong(name) }
            overall += name.utf8.count + value.utf8.count
        }
        guard overall <= maximumOverallBytes else { throw .overallTooLarge(overall) }
    }

    /// Checks the system headers a store keeps beside the user metadata.
    public static func check(otherHeaders: [String: String]) throws(Violation) {
        guard otherHeaders.count <= maximumOtherHeaders else { throw .tooManyOtherHeaders(otherHeaders.count) }
        for (name, value) in otherHeaders {
            guard !name.isEmpty else { throw .emptyName }
            guard name.utf8.count <= maximumOtherHeaderNameBytes, value.utf8.count <= maximumOtherHeaderValueBytes else {
                throw .otherHeaderTooLong(name)
            }
        }
    }
}
