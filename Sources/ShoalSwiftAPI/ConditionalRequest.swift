import ShoalCore

/// Evaluates `If-Match`, `If-None-Match`, `If-Modified-Since` and `If-Unmodified-Since`
/// against the current object, as OpenStack Swift does (HTTP/1.1 precedence: a match
/// header makes its date counterpart ignored).
public struct ConditionalRequest: Hashable, Sendable {
    public enum Outcome: Hashable, Sendable {
        case proceed
        /// 304 (GET and HEAD only).
        case notModified
        /// 412.
        case preconditionFailed
    }

    public var ifMatch: [String]?
    public var ifNoneMatch: [String]?
    public var ifModifiedSince: Int64?
    public var ifUnmodifiedSince: Int64?

    /// Reads the four headers (`header` looks one up case-insensitively).
    public init(header: (String) -> String?) {
        ifMatch = header("If-Match").map(ConditionalRequest.entityTags)
        ifNoneMatch = header("If-None-Match").map(ConditionalRequest.entityTags)
        ifModifiedSince = header("If-Modified-Since").flatMap(HTTPDateParser.seconds)
        ifUnmodifiedSince = header("If-Unmodified-Since").flatMap(HTTPDateParser.seconds)
    }

    /// For reads. `etag` is the object's (unquoted) MD5, nil when the object does not
    /// exist; `lastModified` is in whole seconds (Swift rounds the timestamp up).
    public func evaluateRead(etag: String?, lastModified: Int64?) -> Outcome {
        if let ifMatch {
            guard let etag, ifMatch.contains("*") || ifMatch.contains(etag) else { return .preconditionFailed }
        } else if let ifUnmodifiedSince, let lastModified, lastModified > ifUnmodifiedSince {
            return .preconditionFailed
        }
        if let ifNoneMatch {
            if let etag, ifNoneMatch.contains("*") || ifNoneMatch.contains(etag) { return .notModified }
        } else if let ifModifiedSince, let lastModified, lastModified <= ifModifiedSince {
            return .notModified
        }
        return .proceed
    }

    /// For PUT: Swift accepts only `If-None-Match: *` (412 when the object exists).
    public func evaluateWrite(exists: Bool) throws(SwiftError) -> Outcome {
        guard let ifNoneMatch else { return .proceed }
        guard ifNoneMatch == ["*"] else { throw .badRequest("If-None-Match only supports *") }
        return exists ? .preconditionFailed : .proceed
    }

    /// `"a", "b"`, `W/"c"` or `*` → ["a", "b", "c"] / ["*"].
    static func entityTags(_ header: String) -> [String] {
        header.split(separator: ",").map { raw in
            var tag = String(raw).trimmingWhitespace()
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            if tag.count >= 2, tag.hasPrefix("\""), tag.hasSuffix("\"") { tag = String(tag.dropFirst().dropLast()) }
            return tag
        }
    }
}

/// Parses HTTP dates (RFC 1123 `Sun, 06 Nov 1994 08:49:37 GMT`, RFC 850
/// `Sunday, 06-Nov-94 08:49:37 GMT` and asctime `Sun Nov  6 08:49:37 1994`) to seconds
/// since 1970, with no clock and no locale.
public enum HTTPDateParser {
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    public static func seconds(_ text: String) -> Int64? {
        let words = text.replacingCommas().split(separator: " ").map(String.init)
        var day: Int64?, month: Int64?, year: Int64?, time: [Int64]?
        for word in words {
            let lower = word.lowercased()
            if let index = months.firstIndex(of: String(lower.prefix(3))), lower.count == 3 {
                month = Int64(index + 1)
            } else if word.contains(":") {
                let parts = word.split(separator: ":").compactMap { Int64($0) }
                guard parts.count == 3 else { return nil }
                time = parts
            } else if word.contains("-") {
                let parts = word.split(separator: "-").map(String.init)
                guard parts.count == 3, let d = Int64(parts[0]), let index = months.firstIndex(of: parts[1].lowercased()),
                      let y = Int64(parts[2]) else { return nil }
                day = d
                month = Int64(index + 1)
                year = y < 100 ? (y < 70 ? 2000 + y : 1900 + y) : y
            } else if let number = Int64(word) {
                if number > 31 { year = number } else { day = number }
            }
        }
        guard let day, let month, let year, let time, (1...31).contains(day), time[0] < 24, time[1] < 60, time[2] < 61 else {
            return nil
        }
        return daysFromCivil(year: year, month: month, day: day) * 86_400 + time[0] * 3600 + time[1] * 60 + time[2]
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        CivilDate.days(year: year, month: month, day: day)
    }
}

extension String {
    fileprivate func replacingCommas() -> String { String(map { $0 == "," ? " " : $0 }) }
}
