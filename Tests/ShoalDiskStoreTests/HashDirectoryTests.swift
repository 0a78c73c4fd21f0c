import ShoalCore
@testable import ShoalDiskStore
import Testing

/// The pure decision of which files in a hash directory are current and which are obsolete.
struct HashDirectoryTests {
    @Test func newestDataOrTombstoneWinsAndOnlyANewerMetaCounts() {
        let state = HashDirectory(names: ["0000000001.00000.data", "0000000003.00000.data", "0000000002.00000.ts",
                                          "0000000002.50000.meta", "0000000004.00000.meta", "0000000005.00000.meta",
                                          "junk", "1.data", "0000000009.00000.tmp"])
        #expect(state.newest?.name == "0000000003.00000.data")
        #expect(state.meta?.name == "0000000005.00000.meta")
        #expect(state.newestTimestamp == ts(5))
        #expect(Set(state.obsolete) == ["0000000001.00000.data", "0000000002.00000.ts", "0000000002.50000.meta",
                                        "0000000004.00000.meta"])
    }

    @Test func aTombstoneMakesEveryMetaObsolete() {
        let state = HashDirectory(names: ["0000000001.00000.data", "0000000003.00000.ts", "0000000004.00000.meta"])
        #expect(state.newest == HashDirectory.FileName(timestamp: ts(3), kind: .tombstone))
        #expect(state.meta == nil)
        #expect(Set(state.obsolete) == ["0000000001.00000.data", "0000000004.00000.meta"])
    }

    @Test func offsetsOrderVersionsAtTheSameInstant() {
        let state = HashDirectory(names: ["0000000001.00000_0000000000000002.data", "0000000001.00000_0000000000000001.ts"])
        #expect(state.newest?.kind == .data)
        #expect(state.obsolete == ["0000000001.00000_0000000000000001.ts"])
        #expect(HashDirectory(names: []).newest == nil)
    }
}
