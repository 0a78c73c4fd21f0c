import ShoalCore
import Testing

/// Swift's `fallocate_reserve`: parsed as Swift writes it, and a write allowed only while
/// what it leaves free is at least the reserve.
struct SpaceReserveTests {
    @Test func parsesPercentagesAndBytesAsSwiftWritesThem() {
        #expect(SpaceReserve("1%") == .percent(1))
        #expect(SpaceReserve(" 0.5% ") == .percent(0.5))
        #expect(SpaceReserve("10737418240") == .bytes(10_737_418_240))
        #expect(SpaceReserve("0") == SpaceReserve.none)
        for bad in ["", "%", "-1", "101%", "-2%", "1.5", "ten", "nan%"] { #expect(SpaceReserve(bad) == nil, "\(bad)") }
        #expect(SpaceReserve.default.description == "1.0%" && SpaceReserve.bytes(42).description == "42")
    }

    @Test func aWriteMustLeaveTheReserveFree() {
        let total = 1_000_000
        // 1 % of a million bytes is 10,000.
        #expect(SpaceReserve.percent(1).allows(writing: 90_000, available: 100_000, total: total))
        #expect(!SpaceReserve.percent(1).allows(writing: 90_001, available: 100_000, total: total))
        #expect(SpaceReserve.bytes(5_000).allows(writing: 5_000, available: 10_000, total: total))
        #expect(!SpaceReserve.bytes(5_000).allows(writing: 5_001, available: 10_000, total: total))
        // Below the reserve already, nothing is written, not even an empty body.
        #expect(!SpaceReserve.percent(1).allows(writing: 0, available: 9_999, total: total))
    }

    @Test func aZeroReserveNeverRefusesAndAnUnknownSizeAllows() {
        #expect(SpaceReserve.none.allows(writing: 1 << 40, available: 0, total: 1))
        #expect(SpaceReserve.percent(0).allows(writing: 1 << 40, available: 0, total: 1))
        #expect(SpaceReserve.percent(1).allows(writing: 10, available: 0, total: 0))
    }
}
