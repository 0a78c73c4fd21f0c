import Foundation

/// RFC 7231 dates (`Sun, 06 Nov 1994 08:49:37 GMT`) for the `Date` header, from the clock.
/// The arithmetic is ``HTTPDateParser/format(seconds:)``'s.
public enum HTTPDate {
    public static func now() -> String { format(Date()) }

    public static func format(_ date: Date) -> String {
        HTTPDateParser.format(seconds: Int64(date.timeIntervalSince1970.rounded(.down)))
    }
}
