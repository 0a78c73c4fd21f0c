import Testing
@testable import ShoalSwiftAPI

struct SegmentPlanTests {
    let segments = [
        SegmentPiece(container: "s", object: "0", range: 0...9),    // bytes 0-9 of the whole
        SegmentPiece(container: "s", object: "1", range: 5...14),   // a ranged segment: bytes 10-19
        SegmentPiece(container: "s", object: "2", range: 0...4),    // bytes 20-24
    ]

    @Test func wholeObjectIsEverySegment() {
        #expect(SegmentPlan.pieces(of: segments, covering: 0...24) == segments)
    }

    @Test func rangesCutTheFirstAndLastPieces() {
        #expect(SegmentPlan.pieces(of: segments, covering: 8...21) == [
            SegmentPiece(container: "s", object: "0", range: 8...9),
            SegmentPiece(container: "s", object: "1", range: 5...14),
            SegmentPiece(container: "s", object: "2", range: 0...1),
        ])
        #expect(SegmentPlan.pieces(of: segments, covering: 12...13) == [SegmentPiece(container: "s", object: "1", range: 7...8)])
        #expect(SegmentPlan.pieces(of: segments, covering: 24...24) == [SegmentPiece(container: "s", object: "2", range: 4...4)])
    }

    @Test func piecesAlwaysAddUpToTheRange() {
        for start in 0..<25 {
            for end in start..<25 {
                let total = SegmentPlan.pieces(of: segments, covering: Int64(start)...Int64(end)).reduce(0) { $0 + $1.length }
                #expect(total == Int64(end - start + 1))
            }
        }
    }

    @Test func pathsSplitIntoContainerAndObject() {
        #expect(SegmentPlan.split(path: "/segs/file/slo/0001")! == ("segs", "file/slo/0001"))
        #expect(SegmentPlan.split(path: "segs/x")! == ("segs", "x"))
        #expect(SegmentPlan.split(path: "/segs") == nil)
        #expect(SegmentPlan.split(path: "/segs/") == nil)
    }
}
