import ShoalPorts
import Synchronization
import Testing

/// The receiving end of a stream on its own, without any transport.
struct ChunkReceiverTests {
    /// Arrivals racing with pulls must never reorder chunks (a chunk buffered while the
    /// consumer was about to wait used to be overtaken by the next one).
    @Test func concurrentArrivalsKeepTheirOrder() async throws {
        let count = 60_000
        let granted = Atomic<Int>(0)
        let receiver = ChunkReceiver(
            window: 8, idleTimeout: .seconds(10), deadlines: DeadlineTimer(clock: ContinuousClock()),
            grant: { granted.wrappingAdd($0, ordering: .relaxed) }, abandon: { _ in }
        )
        let producer = Task.detached {
            var credit = 8
            for index in 0..<count {
                while credit == 0 {
                    credit += granted.exchange(0, ordering: .relaxed)
                    if credit == 0 { await Task.yield() }
                }
                credit -= 1
                receiver.deliver([UInt8(truncatingIfNeeded: index), UInt8(truncatingIfNeeded: index >> 8)], sequence: UInt32(index))
            }
            receiver.finish()
        }
        var expected = 0
        for try await chunk in receiver.makeStream() {
            #expect(chunk == [UInt8(truncatingIfNeeded: expected), UInt8(truncatingIfNeeded: expected >> 8)])
            if chunk != [UInt8(truncatingIfNeeded: expected), UInt8(truncatingIfNeeded: expected >> 8)] { break }
            expected += 1
        }
        await producer.value
        #expect(expected == count)
        #expect(receiver.maxBuffered <= 8)
    }
}
