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

    @Test("best over a full set of answers, as Swift's best_response")
    func best() {
        #expect(QuorumTracker.best([204, 404, 404], replicas: 3) == 404)
        #expect(QuorumTracker.best([404, 204, 204], replicas: 3) == 204)
        #expect(QuorumTracker.best([204, 404, 503], replicas: 3) == 503)
        #expect(QuorumTracker.best([503, 500, 204], replicas: 3) == 503, "a quorum of server errors is a 503")
        #expect(QuorumTracker.best([204], replicas: 3) == 503, "answers missing")
        #expect(QuorumTracker.best([], replicas: 3) == 503)
        #expect(QuorumTracker.best([201, 202, 409], replicas: 3) == 202, "2xx quorum; a tie goes to the higher")
    }

    @Test("overrides count only when no class has a quorum as answered")
    func overrides() {
        let delete = [404: 204]
        #expect(QuorumTracker.best([204, 404, 503], replicas: 3, overrides: delete) == 204)
        #expect(QuorumTracker.best([204, 404, 404], replicas: 3, overrides: delete) == 404, "a 404 quorum stands")
        #expect(QuorumTracker.best([404, 503, 503], replicas: 3, overrides: delete) == 503)
        #expect(QuorumTracker.best([404, 409, 503], replicas: 3, overrides: delete) == 409, "4xx quorum as answered")
        #expect(QuorumTracker.best([204, 404], replicas: 3, overrides: delete) == 204)
    }
}

@Suite("DELETE verdicts")
struct DeleteVerdictTests {
    static func t(_ seconds: Int64) -> SwiftTimestamp { SwiftTimestamp(ticks: seconds * SwiftTimestamp.ticksPerSecond) }
    static func status(_ answers: [(Int, Int64?)], replicas: Int = 3) -> Int {
        DeleteVerdict.status(of: answers.map { DeleteVerdict.Answer(status: $0.0, found: $0.1.map(t)) }, replicas: replicas)
    }

    @Test("one replica deleted live data the others never had: 204, not Swift's 404")
    func grownReplicaSet() {
        #expect(Self.status([(204, 10), (404, nil), (404, nil)]) == 204)
        #expect(Self.status([(404, nil), (404, nil), (204, 10)]) == 204, "answer order does not matter")
    }

    @Test("a replica that missed an earlier DELETE loses to the tombstones the others report")
    func staleLiveReplica() {
        #expect(Self.status([(204, 10), (404, 20), (404, 20)]) == 404)
        #expect(Self.status([(204, 10), (404, 20), (404, nil)]) == 404, "one newer tombstone is enough")
        #expect(Self.status([(204, 10), (404, 10), (404, nil)]) == 404, "a tie is not newer data")
        #expect(Self.status([(204, 30), (404, 20), (404, nil)]) == 204, "data newer than the tombstone was live")
    }

    @Test("Swift's answers stand where a quorum agrees or nothing was live")
    func swiftsAnswers() {
        #expect(Self.status([(204, 10), (204, 10), (404, nil)]) == 204)
        #expect(Self.status([(404, nil), (404, nil), (404, 5)]) == 404)
        #expect(Self.status([(404, 5), (404, 5), (404, 5)]) == 404)
        #expect(Self.status([(409, 50), (409, 50), (204, 10)]) == 409)
        #expect(Self.status([(409, 50), (404, nil), (404, nil)]) == 404, "newer live data is no deletion")
        #expect(Self.status([(204, 10), (404, nil), (503, nil)]) == 204, "Swift's 404-as-204 without a quorum")
        #expect(Self.status([(503, nil), (503, nil), (204, 10)]) == 503)
        #expect(Self.status([(204, 10), (404, nil)], replicas: 2) == 204)
        #expect(Self.status([(204, 10)], replicas: 1) == 204)
    }
}
