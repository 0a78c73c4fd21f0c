import Testing
@testable import ShoalCore

@Suite("Quorum decisions")
struct QuorumTrackerTests {
    static func decide(_ replicas: Int, _ statuses: [Int]) -> QuorumTracker.Decision {
        var tracker = QuorumTracker(replicas: replicas)
        for status in statuses { tracker.record(status: status) }
        return tracker.decision
    }

    @Test("two of three successes decide at once", arguments: [[201, 201], [201, 503, 201], [503, 201, 201]])
    func writeQuorum(statuses: [Int]) {
        #expect(Self.decide(3, statuses) == .decided(status: 201))
    }

    @Test("one success is not enough")
    func notYet() {
        #expect(Self.decide(3, [201]) == .waiting)
        #expect(Self.decide(3, [201, 503]) == .waiting)
        #expect(Self.decide(3, [201, 503, 503]) == .decided(status: 503))
    }

    @Test("a quorum of not-found is 404; split answers are 503")
    func classes() {
        #expect(Self.decide(3, [404, 404]) == .decided(status: 404))
        #expect(Self.decide(3, [404, 201, 500]) == .decided(status: 503))
        #expect(Self.decide(3, [409, 404, 201]) == .decided(status: 409), "4xx quorum; 409 and 404 tie, the higher wins")
        #expect(Self.decide(1, [204]) == .decided(status: 204))
        #expect(Self.decide(5, [201, 201, 500, 201]) == .decided(status: 201))
        #expect(Self.decide(4, [201, 201, 503, 503]) == .decided(status: 503))
    }

    @Test("answers after the decision change nothing")
    func late() {
        var tracker = QuorumTracker(replicas: 3)
        tracker.record(status: 201)
        #expect(tracker.record(status: 201) == .decided(status: 201))
        #expect(tracker.outstanding == 1)
        #expect(tracker.record(status: 500) == .decided(status: 201))
        #expect(QuorumTracker.quorum(for: 3) == 2)
        #expect(QuorumTracker.quorum(for: 4) == 3)
    }
}
