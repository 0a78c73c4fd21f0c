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

    @Test("garbage around or inside a timestamp is rejected", arguments: [
        " 1", "1 ", "+1", "1.-5", "1.5_", "1.5_000000000000001", "1.5_00000000000000001", "1.5__000000000000001",
        "1.5_00000000000000g1", "1.5_+000000000000001", "9999999999.999995", "1.5.", "1..5", "1,5", "1.5\u{0}",
    ])
    func rejectsAround(input: String) {
        #expect(SwiftTimestamp(input) == nil)
    }

    @Test("every form reads back what wrote it")
    func roundTrips() {
        var random = SeededRandom(seed: 0x7135)
        for _ in 0..<5_000 {
            let ticks = Int64.random(in: 0...SwiftTimestamp.maximumTicks, using: &random)
            let offset = Bool.random(using: &random) ? 0 : UInt64.random(in: 0...UInt64.max, using: &random)
            let timestamp = SwiftTimestamp(ticks: ticks, offset: offset)
            #expect(SwiftTimestamp(timestamp.internal) == timestamp)
            #expect(SwiftTimestamp(timestamp.normal) == SwiftTimestamp(ticks: ticks))
            #expect(timestamp.normal.utf8.count == 16)
            #expect(timestamp.internal.utf8.count == (offset == 0 ? 16 : 33))
            #expect(SwiftTimestamp(timestamp.internal.uppercased()) == timestamp)
        }
        #expect(SwiftTimestamp("9999999999.99999")?.ticks == SwiftTimestamp.maximumTicks)
        #expect(SwiftTimestamp("0")?.normal == "0000000000.00000")
        #expect(SwiftTimestamp("1700000000.000004")?.normal == "1700000000.00000")
        #expect(SwiftTimestamp("1700000000.999995")?.normal == "1700000001.00000")
        #expect(SwiftTimestamp(ticks: 5, offset: 0xAB).internal == "0000000000.00005_00000000000000ab")
    }

    @Test("seconds round-trip to 10 µs")
    func seconds() {
        #expect(SwiftTimestamp(seconds: 1_700_000_000.123456)?.normal == "1700000000.12346")
        #expect(SwiftTimestamp(seconds: -1) == nil)
    }
}
