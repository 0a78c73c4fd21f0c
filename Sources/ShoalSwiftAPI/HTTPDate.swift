import Foundation

/// RFC 7231 dates (`Sun, 06 Nov 1994 08:49:37 GMT`) for the `Date` header. The arithmetic
/// is ``HTTPDateParser/format(seconds:)``'s; the caller reads the clock.
public enum HTTPDate {
    public static func format(_ date: Date) -> String {
        HTTPDateParser.format(seconds: Int64(date.timeIntervalSince1970.rounded(.down)))
    }
}
