/// The walk behind every object and container listing: Swift's `list_objects_iter` /
/// `list_containers_iter` loop as a value that does no I/O.
///
/// A broker asks ``nextRange()`` for the next name range to read from its index (in
/// order, at most `limit` rows), feeds each row's name to ``accept(name:)`` until it says
/// to stop, then calls ``endPage(rowCount:)`` and asks again. With a delimiter, a name
/// that rolls up into a subdir ends the page and the next range starts just past the
/// subdir, so a container of a million objects under one pseudo-directory costs one query,
/// not a scan. Names are UTF-8 bytes, compared bytewise (Swift's order: SQLite's BINARY
/// collation, which is also code point order).
public struct ListingScan: Sendable {
    /// One query against the name index: `lower` (`>` or `>=`) and `upper` (`<`) bounds,
    /// direction and row limit.
    public struct Range: Hashable, Sendable {
        public var lower: [UInt8]?
        public var lowerInclusive: Bool
        public var upper: [UInt8]?
        public var descending: Bool
        public var limit: Int
    }

    /// What to do with a row just read.
    public enum Verdict: Hashable, Sendable {
        /// List the row itself, then keep reading this page.
        case entry
        /// List a subdir entry with this prefix instead of the row, then end the page.
        case subdir([UInt8])
        /// List nothing and end the page (the subdir the client already saw as its marker).
        case endPage
    }

    private let prefix: [UInt8]
    private let endPrefix: [UInt8]?
    private let delimiter: [UInt8]?
    private let descending: Bool
    private let originalMarker: [UInt8]
    private var marker: [UInt8]
    private var endMarker: [UInt8]
    private var forceInclusiveLower = false
    private var remaining: Int
    private var finished = false

    public init(_ query: ListingQuery) {
        descending = query.reverse
        // Reversed, the marker bounds from above and the end marker from below.
        marker = Array((query.reverse ? query.endMarker : query.marker).utf8)
        endMarker = Array((query.reverse ? query.marker : query.endMarker).utf8)
        originalMarker = marker
        prefix = Array(query.prefix.utf8)
        endPrefix = prefix.isEmpty ? nil : Self.successor(of: prefix)
        delimiter = query.delimiter.map { Array($0.utf8) }
        remaining = query.limit
    }

    /// Entries still to list.
    public var remainingLimit: Int { remaining }

    /// The next range to read, or nil when the listing is complete.
    public mutating func nextRange() -> Range? {
        guard !finished, remaining > 0 else { return nil }
        var upper: [UInt8]?
        if !endMarker.isEmpty, endPrefix == nil || endMarker.lexicographicallyPrecedes(endPrefix!) {
            upper = endMarker
        } else {
            upper = endPrefix
        }
        var lower: [UInt8]?
        var inclusive = false
        if forceInclusiveLower {
            lower = marker
            inclusive = true
            forceInclusiveLower = false
        } else if !marker.isEmpty, prefix.isEmpty || !marker.lexicographicallyPrecedes(prefix) {
            lower = marker
        } else if !prefix.isEmpty {
            lower = prefix
            inclusive = true
        }
        return Range(lower: lower, lowerInclusive: inclusive, upper: upper, descending: descending, limit: remaining)
    }

    /// Judges one row of the current page (rows come in the range's order).
    public mutating func accept(name: [UInt8]) -> Verdict {
        guard let delimiter else {
            remaining -= 1
            return .entry
        }
        if descending { endMarker = name } else { marker = name }
        guard let end = Self.firstIndex(of: delimiter, in: name, from: prefix.count) else {
            remaining -= 1
            return .entry
        }
        let directory = Array(name[..<(end + delimiter.count)])
        if descending {
            endMarker = directory
        } else {
            marker = Self.successor(of: directory)
            forceInclusiveLower = true
        }
        guard directory != originalMarker else { return .endPage }
        remaining -= 1
        return .subdir(directory)
    }

    /// Closes the current page: an empty page, or any page without a delimiter (whose one
    /// query already had the whole range), ends the listing.
    public mutating func endPage(rowCount: Int) {
        if rowCount == 0 || delimiter == nil { finished = true }
    }

    /// The smallest byte string above every string that starts with `bytes` (Swift's
    /// `s[:-1] + chr(ord(s[-1]) + 1)`; UTF-8 never holds 0xFF, so no carry is needed).
    static func successor(of bytes: [UInt8]) -> [UInt8] {
        var next = bytes
        while let last = next.last, last == 0xFF { next.removeLast() }
        guard !next.isEmpty else { return bytes + [0xFF] }
        next[next.count - 1] += 1
        return next
    }

    static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
