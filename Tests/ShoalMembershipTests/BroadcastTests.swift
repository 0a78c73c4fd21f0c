import Testing
import ShoalCore
@testable import ShoalMembership

@Suite("SWIM broadcasts")
struct BroadcastTests {
    static func news(_ id: String, payload: String = "") -> SWIM.Broadcast {
        SWIM.Broadcast(topic: "test", id: Array(id.utf8), payload: Array(payload.utf8))!
    }

    static func delivered(_ directives: [SWIM.Directive]) -> [SWIM.Broadcast] {
        directives.compactMap { if case .deliver(let broadcast) = $0 { broadcast } else { nil } }
    }

    @Test func limitsKeepABroadcastWithinOneMessage() throws {
        #expect(SWIM.Broadcast(topic: "", id: [1], payload: []) == nil)
        #expect(SWIM.Broadcast(topic: "t", id: [], payload: []) == nil)
        #expect(SWIM.Broadcast(topic: "t", id: [1], payload: Array(repeating: 0, count: 513)) == nil)
        #expect(SWIM.Broadcast(topic: String(repeating: "t", count: 65), id: [1], payload: []) == nil)
        let largest = try #require(SWIM.Broadcast(topic: String(repeating: "t", count: 64), id: Array(repeating: 7, count: 128),
                                                  payload: Array(repeating: 9, count: 512)))
        #expect(SWIM.Gossip.broadcast(largest).wireBytes().count < SWIM.Settings.default.gossipBudgetBytes)
        // A frame claiming a longer payload than the limit is refused, not decoded.
        var writer = ByteWriter()
        writer.writeString("t")
        writer.writeBytes([1])
        writer.writeBytes([UInt8](repeating: 0, count: 600))
        #expect(throws: WireError.self) { try SWIM.Broadcast(wireBytes: writer.bytes) }
    }

    @Test func theOriginPushesAtOnceAndReceiversDeliverAndForwardOnce() {
        var origin = Fixture.instance(members: 10)
        let out = origin.broadcast(Self.news("revoked-1"), now: .zero)
        let pushes = Fixture.sends(out)
        #expect(pushes.count == origin.settings.broadcastFanout)
        #expect(pushes.allSatisfy { $0.0.payload == .gossip && $0.0.gossip.contains(.broadcast(Self.news("revoked-1"))) })
        #expect(Self.delivered(out).isEmpty, "the origin has the news already")
        #expect(Fixture.sends(origin.broadcast(Self.news("revoked-1"), now: .milliseconds(1))).isEmpty, "a repeat does nothing")

        var receiver = SWIM.Instance(myself: Fixture.id(5), meta: Fixture.meta(5), settings: .fast, random: SeededRandom(seed: 5), now: .zero)
        receiver.restore(members: (0..<10).filter { $0 != 5 }.map { Fixture.state($0) }, now: .zero)
        let first = receiver.onMessage(pushes[0].0, from: Fixture.meta(0).clusterAddress, now: .milliseconds(1))
        #expect(Self.delivered(first) == [Self.news("revoked-1")])
        let forwards = Fixture.sends(first)
        #expect(forwards.count == receiver.settings.broadcastFanout)
        #expect(!forwards.contains { $0.1 == Fixture.meta(0).clusterAddress }, "not back to whoever sent it")
        let again = receiver.onMessage(pushes[0].0, from: Fixture.meta(0).clusterAddress, now: .milliseconds(2))
        #expect(Self.delivered(again).isEmpty && Fixture.sends(again).isEmpty)
    }

    @Test func newsIsForgottenAfterTheMemoryAndThenHeardAgain() {
        var instance = Fixture.instance(members: 4)
        let news = Self.news("user.disabled")
        #expect(Self.delivered(Fixture.deliver([.broadcast(news)], to: &instance, from: 1)).count == 1)
        _ = instance.onTick(now: instance.settings.broadcastMemory - .seconds(1))
        #expect(Self.delivered(Fixture.deliver([.broadcast(news)], to: &instance, from: 2, now: instance.settings.broadcastMemory)).isEmpty)
        _ = instance.onTick(now: instance.settings.broadcastMemory + .seconds(1))
        let later = Fixture.deliver([.broadcast(news)], to: &instance, from: 2, now: instance.settings.broadcastMemory + .seconds(2))
        #expect(Self.delivered(later).count == 1)
    }

    @Test func theMemoryKeepsAtMostItsLimitOldestForgottenFirst() {
        var memory = SWIM.BroadcastMemory()
        var fresh = 0
        for index in 0..<5_000 where memory.remember(Self.news("n\(index)").key, now: .milliseconds(index), limit: 3_000) { fresh += 1 }
        #expect(fresh == 5_000 && memory.count == 3_000)
        let forgotten = memory.remember(Self.news("n0").key, now: .seconds(10), limit: 3_000)
        let kept = memory.remember(Self.news("n4999").key, now: .seconds(10), limit: 3_000)
        #expect(forgotten && !kept, "the oldest were forgotten first")
        memory.forget(before: .seconds(10))
        #expect(memory.count == 1)
    }
}
