import ShoalCore
import Synchronization
import Testing
@testable import ShoalStorage

/// Container updates to one replica coalesce only while one is on its way; each writer
/// learns the answer to the request that carried its own update.
struct ContainerUpdateBatcherTests {
    /// A replica that records what it was sent and answers each request once the test lets it.
    final class Replica: Sendable {
        let sent = Mutex<[[String]]>([])
        /// While set, requests wait for it to open.
        private let gate = Mutex<AsyncGate?>(nil)
        let answers: @Sendable ([ContainerUpdate]) -> Int?

        init(answers: @escaping @Sendable ([ContainerUpdate]) -> Int? = { $0.count == 1 ? 201 : 202 }) {
            self.answers = answers
        }

        func hold() { gate.withLock { $0 = AsyncGate() } }

        func release() { gate.withLock { gate in defer { gate = nil }; return gate }?.open() }

        var send: ContainerUpdateBatcher.Send {
            { _, updates in
                self.sent.withLock { $0.append(updates.map(\.object)) }
                await self.gate.withLock { $0 }?.wait()
                return self.answers(updates)
            }
        }
    }

    static func update(_ name: String) -> ContainerUpdate {
        ContainerUpdate(operation: .put, account: "AUTH_a", container: "c", object: name, timestamp: ts(1), sizeBytes: 1,
                        contentType: "text/plain", etag: "x")
    }

    static func destination(_ device: String = "d1") -> ContainerUpdateBatcher.Destination {
        .init(address: ClusterAddress(host: "127.0.0.1", port: 7000), device: DeviceID(device)!, partition: 5,
              account: "AUTH_a", container: "c")
    }

    @Test func aLoneUpdateGoesAtOnceAndAlone() async {
        let replica = Replica()
        let batcher = ContainerUpdateBatcher(send: replica.send)
        #expect(await batcher.submit(Self.update("a"), to: Self.destination()) == 201)
        #expect(await batcher.submit(Self.update("b"), to: Self.destination()) == 201)
        #expect(replica.sent.withLock { $0 } == [["a"], ["b"]])
        #expect(batcher.busyDestinations == 0)
    }

    @Test func updatesThatComeWhileOneIsOnItsWayGoTogether() async {
        let replica = Replica()
        let batcher = ContainerUpdateBatcher(send: replica.send)
        replica.hold()
        let first = Task { await batcher.submit(Self.update("a"), to: Self.destination()) }
        #expect(await waitUntil { replica.sent.withLock { $0.count } == 1 })
        let others = ["b", "c", "d"].map { name in Task { await batcher.submit(Self.update(name), to: Self.destination()) } }
        #expect(await waitUntil { batcher.waitingUpdates == 3 })
        replica.release()
        #expect(await first.value == 201)
        for other in others { #expect(await other.value == 202) }
        let sent = replica.sent.withLock { $0 }
        #expect(sent.count == 2)
        #expect(sent.first == ["a"])
        #expect(Set(sent.last ?? []) == ["b", "c", "d"])
        #expect(batcher.busyDestinations == 0)
    }

    @Test func aBatchThatFailsFailsEveryUpdateInItOnly() async {
        let replica = Replica(answers: { $0.count == 1 ? 201 : nil })
        let batcher = ContainerUpdateBatcher(send: replica.send)
        replica.hold()
        let first = Task { await batcher.submit(Self.update("a"), to: Self.destination()) }
        #expect(await waitUntil { replica.sent.withLock { $0.count } == 1 })
        let others = ["b", "c"].map { name in Task { await batcher.submit(Self.update(name), to: Self.destination()) } }
        #expect(await waitUntil { batcher.waitingUpdates == 2 })
        replica.release()
        #expect(await first.value == 201)
        for other in others { #expect(await other.value == nil) }
    }

    @Test func batchesAreBoundedAndEachReplicaHasItsOwnLine() async {
        let replica = Replica()
        let batcher = ContainerUpdateBatcher(maximumBatch: 2, send: replica.send)
        replica.hold()
        let first = Task { await batcher.submit(Self.update("a"), to: Self.destination()) }
        #expect(await waitUntil { replica.sent.withLock { $0.count } == 1 })
        var others: [Task<Int?, Never>] = []
        for name in ["b", "c", "d"] {
            others.append(Task { await batcher.submit(Self.update(name), to: Self.destination()) })
            let count = others.count
            #expect(await waitUntil { batcher.waitingUpdates == count })
        }
        // Another replica's update is not held behind this line (only by the replica itself).
        let elsewhere = Task { await batcher.submit(Self.update("z"), to: Self.destination("d2")) }
        #expect(await waitUntil { replica.sent.withLock { $0.contains(["z"]) } })
        replica.release()
        #expect(await first.value == 201)
        #expect(await elsewhere.value == 201)
        for other in others { _ = await other.value }
        let sent = replica.sent.withLock { $0 }.filter { $0 != ["z"] }
        #expect(sent == [["a"], ["b", "c"], ["d"]])
        #expect(batcher.busyDestinations == 0)
    }
}
