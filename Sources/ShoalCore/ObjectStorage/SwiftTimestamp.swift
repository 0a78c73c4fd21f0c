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
    /// Reads the UTF-8 bytes once, without allocating (every file name, header and row
    /// timestamp comes through here).
    public init?(_ text: String) {
        var text = text
        let parsed = text.withUTF8 { SwiftTimestamp.parse($0) }
        guard let parsed else { return nil }
        self.init(ticks: parsed.ticks, offset: parsed.offset)
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> (ticks: Int64, offset: UInt64)? {
        var end = bytes.count
        var offset: UInt64 = 0
        if let underscore = bytes.firstIndex(of: UInt8(ascii: "_")) {
            guard bytes.count - underscore - 1 == 16 else { return nil }
            for byte in bytes[(underscore + 1)...] {
                guard let digit = Hex.value(of: byte) else { return nil }
                offset = offset << 4 | UInt64(digit)
            }
            end = underscore
        }
        var index = 0
        var seconds: Int64 = 0
        while index < end, bytes[index] != UInt8(ascii: ".") {
            guard index < 10, let digit = decimal(bytes[index]) else { return nil }
            seconds = seconds * 10 + digit
            index += 1
        }
        guard index > 0 else { return nil }
        var fraction: Int64 = 0
        if index < end {
            index += 1  // the "."
            guard index < end else { return nil }
            // Round to five decimals as Swift does: the first six digits, padded.
            var six: Int64 = 0
            var digits = 0
            while index < end {
                guard let digit = decimal(bytes[index]) else { return nil }
                if digits < 6 {
                    six = six * 10 + digit
                    digits += 1
                }
                index += 1
            }
            while digits < 6 {
                six *= 10
                digits += 1
            }
            fraction = (six + 5) / 10
        }
        let ticks = seconds * ticksPerSecond + fraction
        guard ticks <= maximumTicks else { return nil }
        return (ticks, offset)
    }

    private static func decimal(_ byte: UInt8) -> Int64? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int64(byte - UInt8(ascii: "0")) : nil
    }

    public var seconds: Double { Double(ticks) / Double(SwiftTimestamp.ticksPerSecond) }

    /// Whole seconds, rounded up: what Swift's `Last-Modified` shows for this time.
    public var lastModifiedSeconds: Int64 { (ticks + SwiftTimestamp.ticksPerSecond - 1) / SwiftTimestamp.ticksPerSecond }

    /// `1700000000.12345`: ten integer digits, zero-padded, and five decimals.
    public var normal: String { format(withOffset: false) }

    /// ``normal`` plus `_<16 hex>` when there is an offset.
    public var `internal`: String { format(withOffset: offset != 0) }

    /// Writes the digits straight into the string's storage.
    private func format(withOffset: Bool) -> String {
        String(unsafeUninitializedCapacity: withOffset ? 33 : 16) { buffer in
            var value = ticks
            for index in stride(from: 15, through: 0, by: -1) where index != 10 {
                buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
            buffer[10] = UInt8(ascii: ".")
            guard withOffset else { return 16 }
            buffer[16] = UInt8(ascii: "_")
            var rest = offset
            for index in stride(from: 32, through: 17, by: -1) {
                buffer[index] = Hex.digit(UInt8(rest & 0xF))
                rest >>= 4
            }
            return 33
        }
    }

    public var description: String { `internal` }

    /// The same instant with a larger offset: orders a write after another at the same time.
    public func bumped(by amount: UInt64 = 1) -> SwiftTimestamp { SwiftTimestamp(ticks: ticks, offset: offset + amount) }

    public static func < (lhs: SwiftTimestamp, rhs: SwiftTimestamp) -> Bool {
        (lhs.ticks, lhs.offset) < (rhs.ticks, rhs.offset)
    }
}
