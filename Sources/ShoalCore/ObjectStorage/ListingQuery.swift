/// What a client asked to list: the query parameters of a container GET (objects) or an
/// account GET (containers), already validated by Swift's rules.
///
/// The REST layer builds one with ``init(queryString:limitMaximum:)`` (or
/// ``init(queryItems:limitMaximum:)`` when it already decoded the query) and hands it to a
/// container or account broker, which walks it with ``ListingScan``. An empty string and an
/// absent parameter mean the same thing, as in Swift (`if marker:` is false for both).
public struct ListingQuery: Hashable, Sendable {
    /// Swift's `CONTAINER_LISTING_LIMIT` and `ACCOUNT_LISTING_LIMIT`: the default and the
    /// largest `limit` a client may ask for.
    public static let maximumLimit = 10_000

    /// Only names starting with this; empty for all.
    public var prefix: String
    /// Rolls names that contain this after the prefix into one subdir entry. Swift accepts
    /// any non-empty UTF-8 string since 2.24 (it was one character before); nil for none.
    public var delimiter: String?
    /// Only names after this one (before it when ``reverse``); empty for no bound.
    public var marker: String
    /// Only names before this one (after it when ``reverse``); empty for no bound.
    public var endMarker: String
    /// At most this many entries (objects and subdirs together), `0...maximumLimit`.
    public var limit: Int
    /// Names in descending order.
    public var reverse: Bool

    public init(
        prefix: String = "", delimiter: String? = nil, marker: String = "", endMarker: String = "",
        limit: Int = ListingQuery.maximumLimit, reverse: Bool = false
    ) {
        precondition(limit >= 0, "a listing limit is never negative")
        self.prefix = prefix
        self.delimiter = delimiter?.isEmpty == true ? nil : delimiter
        self.marker = marker
        self.endMarker = endMarker
        self.limit = limit
        self.reverse = reverse
    }
}

/// Why a listing request was refused, with the status and body Swift answers.
public struct ListingQueryError: Error, Hashable, Sendable, CustomStringConvertible {
    /// 400 or 412.
    public let status: Int
    /// The response body, Swift's wording.
    public let message: String

    public init(status: Int, message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status) \(message)" }
}
