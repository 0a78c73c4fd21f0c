import Testing
@testable import ShoalCore

@Suite("Swift timestamps")
struct SwiftTimestampTests {
    @Test("normal form has ten digits and five decimals", arguments: [
        ("1700000000.12345", "1700000000.12345"), ("1700000000", "1700000000.00000"), ("1.5", "0000000001.50000"),
        ("1700000000.123456", "1700000000.12346"), ("1700000000.1", "1700000000.10000"),
    ])
    func normal(input: String, expected: String) {
        #expect(SwiftTimestamp(input)?.normal == expected)
    }

    @Test("offsets order writes at one instant", arguments: ["1700000000.00000_0000000000000001"])
    func offsets(input: String) {
        let timestamp = SwiftTimestamp(input)!
        #expect(timestamp.offset == 1)
        #expect(timestamp.internal == input)
        #expect(SwiftTimestamp("1700000000")! < timestamp)
        #expect(timestamp < SwiftTimestamp("1700000000.00001")!)
        #expect(timestamp.bumped() > timestamp)
    }

    @Test("garbage is rejected", arguments: ["", "abc", "-1", "1.", ".5", "1e5", "12345678901", "1_zz", "1_0001", "1.2.3", "１"])
    func rejects(input: String) {
        #expect(SwiftTimestamp(input) == nil)
    }

    @Test("seconds round-trip to 10 µs")
    func seconds() {
        #expect(SwiftTimestamp(seconds: 1_700_000_000.123456)?.normal == "1700000000.12346")
        #expect(SwiftTimestamp(seconds: -1) == nil)
    }
}
