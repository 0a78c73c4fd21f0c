import Foundation
import ShoalCore

/// Keystone's timestamps: `2026-01-02T03:04:05.000000Z` in tokens (UTC, whole seconds, six
/// zero fractional digits, a literal `Z`), and the ISO 8601 forms clients send.
public enum KeystoneTime {
    /// `expires_at` / `issued_at` for Unix `seconds`.
    public static func format(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let date = CivilDate.date(fromDays: days)
        // Plain interpolation: `String(format:)` cost a tenth of a token validation.
        func padded(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(date.year, 4))-\(padded(date.month, 2))-\(padded(date.day, 2))T\(padded(secondOfDay / 3600, 2)):"
            + "\(padded(secondOfDay % 3600 / 60, 2)):\(padded(secondOfDay % 60, 2)).000000Z"
    }

    /// Unix seconds of `2018-02-27T18:30:59Z`, `2018-02-27T18:30:59.000000Z` or the same
    /// without a zone (UTC); nil for anything else.
    public static func parse(_ text: String) -> Int64? {
        let scalars = Array(text.utf8)
        guard scalars.count >= 19, scalars[4] == UInt8(ascii: "-"), scalars[7] == UInt8(ascii: "-"),
              scalars[10] == UInt8(ascii: "T"), scalars[13] == UInt8(ascii: ":"), scalars[16] == UInt8(ascii: ":") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = Int(scalars[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var rest = scalars[19...]
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst()
            guard rest.first.map({ (48...57).contains($0) }) == true else { return nil }
            while let first = rest.first, (48...57).contains(first) { rest = rest.dropFirst() }
        }
        guard rest.isEmpty || Array(rest) == Array("Z".utf8) || Array(rest) == Array("+00:00".utf8) else { return nil }
        return CivilDate.days(year: Int64(year), month: Int64(month), day: Int64(day)) * 86_400
            + Int64(hour * 3600 + minute * 60 + second)
    }
}
