/// OpenStack Swift's timestamp: seconds since 1970 with five decimals (10 µs steps), plus
/// an optional offset that orders internal writes made at the same instant (Swift's
/// `1700000000.00000_0000000000000001`). It orders every version of every object, account
/// and container: the larger timestamp wins.
///
/// `normal` is the 16-character form Swift sends in `X-Timestamp` (`1700000000.12345`);
/// `internal` appends `_` and 16 hex digits of offset when the offset is not zero.
public struct SwiftTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Hundred-thousandths of a second since 1970 (10 µs ticks).
    public let ticks: Int64
    public let offset: UInt64

    public static let ticksPerSecond: Int64 = 100_000
    /// Swift refuses timestamps that do not fit 10 integer digits.
    public static let maximumTicks: Int64 = 9_999_999_999 * ticksPerSecond + 99_999

    public init(ticks: Int64, offset: UInt64 = 0) {
        precondition(ticks >= 0 && ticks <= SwiftTimestamp.maximumTicks, "timestamp out of range")
        self.ticks = ticks
        self.offset = offset
    }

    /// From seconds since 1970 (rounded to 10 µs, as Swift rounds); nil when out of range.
    public init?(seconds: Double) {
        guard seconds.isFinite, seconds >= 0 else { return nil }
        let ticks = (seconds * Double(SwiftTimestamp.ticksPerSecond)).rounded()
        guard ticks <= Double(SwiftTimestamp.maximumTicks) else { return nil }
        self.init(ticks: Int64(ticks))
    }

    /// Parses `1700000000`, `1700000000.1`, `1700000000.12345` or the internal form with
    /// `_<16 hex>`; also the plain decimal clients send in `X-Timestamp`. Nil otherwise.
    public init?(_ text: String) {
        var body = Substring(text)
        var offset: UInt64 = 0
        if let underscore = body.firstIndex(of: "_") {
            let hex = body[body.index(after: underscore)...]
            guard hex.count == 16, let value = UInt64(hex, radix: 16) else { return nil }
            offset = value
            body = body[..<underscore]
        }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, !whole.isEmpty, whole.count <= 10,
              whole.allSatisfy({ $0.isASCII && $0.isNumber }), let seconds = Int64(whole)
        else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            // Round to five decimals as Swift does.
            let padded = String(digits.prefix(6)).padding(toLength: 6, withPad: "0")
            let six = Int64(padded)!
            fraction = (six + 5) / 10
        }
        let ticks = seconds * SwiftTimestamp.ticksPerSecond + fraction
        guard ticks <= SwiftTimestamp.maximumTicks else { return nil }
        self.init(ticks: ticks, offset: offset)
    }

    public var seconds: Double { Double(ticks) / Double(SwiftTimestamp.ticksPerSecond) }

    /// Whole seconds, rounded up: what Swift's `Last-Modified` shows for this time.
    public var lastModifiedSeconds: Int64 { (ticks + SwiftTimestamp.ticksPerSecond - 1) / SwiftTimestamp.ticksPerSecond }

    /// `1700000000.12345`: ten integer digits, zero-padded, and five decimals.
    public var normal: String {
        let whole = String(ticks / SwiftTimestamp.ticksPerSecond)
        let fraction = String(ticks % SwiftTimestamp.ticksPerSecond)
        return String(repeating: "0", count: max(0, 10 - whole.count)) + whole + "."
            + String(repeating: "0", count: 5 - fraction.count) + fraction
    }

    /// ``normal`` plus `_<16 hex>` when there is an offset.
    public var `internal`: String {
        guard offset != 0 else { return normal }
        let hex = String(offset, radix: 16)
        return normal + "_" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    public var description: String { `internal` }

    /// The same instant with a larger offset: orders a write after another at the same time.
    public func bumped(by amount: UInt64 = 1) -> SwiftTimestamp { SwiftTimestamp(ticks: ticks, offset: offset + amount) }

    public static func < (lhs: SwiftTimestamp, rhs: SwiftTimestamp) -> Bool {
        (lhs.ticks, lhs.offset) < (rhs.ticks, rhs.offset)
    }
}

extension String {
    fileprivate func padding(toLength length: Int, withPad pad: Character) -> String {
        count >= length ? String(prefix(length)) : self + String(repeating: pad, count: length - count)
    }
}
