import Testing
import ShoalCore
import ShoalPorts
@testable import ShoalStorage

struct ProxyBodyTeeTests {
    @Test func everyTargetGetsIdenticalBytesWithBoundedBuffering() async throws {
        let queues = (0..<3).map { _ in BoundedChunkQueue(depth: 2) }
        let body = (0..<5_000).map { UInt8($0 % 253) }
        let tee = BodyTee(queues: queues, stallTimeout: .seconds(5), clock: ContinuousClock(), minimumLive: 2,
                          maximumBytes: 1 << 20, expectedBytes: Int64(body.count))
        async let readers = withThrowingTaskGroup(of: [UInt8].self) { group in
            for queue in queues { group.addTask { try await queue.stream.collect(upTo: 1 << 20) } }
            var all: [[UInt8]] = []
            for try await bytes in group { all.append(bytes) }
            return all
        }
        let outcome = await tee.run(.bytes(body, chunkSize: 64))
        #expect(outcome == .completed(bytes: Int64(body.count)))
        let received = try await readers
        // The MD5 follows as the ETag footer.
        #expect(received.count == 3 && received.allSatisfy { $0 == body + Array(ETagHasher.hex(of: body).utf8) })
        #expect(queues.allSatisfy { $0.highWater <= 2 })
    }

    /// An empty body's footer goes alone; a body of unknown length gets none.
    @Test(arguments: [true, false]) func theFooterNeedsAKnownLength(known: Bool) async throws {
        let queues = (0..<2).map { _ in BoundedChunkQueue(depth: 4) }
        let tee = BodyTee(queues: queues, stallTimeout: .seconds(5), clock: ContinuousClock(), minimumLive: 2,
                          maximumBytes: 1 << 20, expectedBytes: known ? 0 : nil)
        #expect(tee.sendsFooter == known)
        #expect(await tee.run(.bytes([])) == .completed(bytes: 0))
        for queue in queues {
            #expect(try await queue.stream.collect(upTo: 1 << 10) == (known ? Array(ETagHasher.hex(of: []).utf8) : []))
        }
    }

    @Test func closedTargetIsSkippedAndTooFewTargetsAborts() async {
        let queues = (0..<3).map { _ in BoundedChunkQueue(depth: 1) }
        queues[0].close()
        queues[1].close()
        let tee = BodyTee(queues: queues, stallTimeout: .seconds(5), clock: ContinuousClock(), minimumLive: 2,
                          maximumBytes: 1 << 20, expectedBytes: nil)
        #expect(await tee.run(.bytes([1, 2, 3])) == .tooFewTargets)
        await #expect(throws: (any Error).self) { _ = try await queues[2].next() }
    }

    @Test func oversizedBodyIsRejected() async {
        let queues = [BoundedChunkQueue(depth: 8)]
        let tee = BodyTee(queues: queues, stallTimeout: .seconds(5), clock: ContinuousClock(), minimumLive: 1,
                          maximumBytes: 10, expectedBytes: nil)
        #expect(await tee.run(.bytes(Array(repeating: 7, count: 11))) == .rejected(.requestTooLarge))
    }
}
