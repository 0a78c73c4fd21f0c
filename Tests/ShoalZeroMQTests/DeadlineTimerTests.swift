import ShoalCore
import ShoalPorts
import Synchronization
import Testing

/// The shared deadline timer, on a manual clock: time moves only when a test advances it,
/// and every wait for the timer's task is a bounded wait for a condition.
@Suite("Deadline timer")
struct DeadlineTimerTests {
    /// What fired, in order, with the clock's time when it did.
    final class Log: Sendable {
        private let entries = Mutex<[(name: Int, at: Duration)]>([])
        let clock: ManualClock

        init(clock: ManualClock) { self.clock = clock }

        func record(_ name: Int) { entries.withLock { $0.append((name, clock.now.offset)) } }
        var names: [Int] { entries.withLock { $0.map(\.name) } }
        var times: [Duration] { entries.withLock { $0.map(\.at) } }
    }

    /// A timer on a fresh manual clock, and a log of what it fires.
    static func fixture() -> (ManualClock, DeadlineTimer, Log) {
        let clock = ManualClock()
        return (clock, DeadlineTimer(clock: clock), Log(clock: clock))
    }

    @Test("a deadline fires when its time has come, not before, and equal ones in the order scheduled")
    func firesAtTheDeadline() async {
        let (clock, timer, log) = Self.fixture()
        timer.schedule(after: .seconds(20)) { log.record(2) }
        timer.schedule(after: .seconds(10)) { log.record(1) }
        timer.schedule(after: .seconds(20)) { log.record(3) }
        #expect(await waitUntil { clock.sleeperCount == 1 }, "one task sleeps for all three")
        clock.advance(by: .seconds(9))
        #expect(log.names.isEmpty && clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        #expect(await waitUntil { log.names == [1] && clock.sleeperCount == 1 })
        #expect(timer.pendingCount == 2)
        clock.advance(by: .seconds(10))
        #expect(await waitUntil { log.names == [1, 2, 3] })
        #expect(log.times == [.seconds(10), .seconds(20), .seconds(20)])
        #expect(await waitUntil { clock.sleeperCount == 0 }, "the task ends when nothing is left")
        #expect(timer.pendingCount == 0)
    }

    @Test("a cancelled deadline never fires; the task sleeps on to the next live one")
    func cancelled() async {
        let (clock, timer, log) = Self.fixture()
        let first = timer.schedule(after: .seconds(5)) { log.record(1) }
        timer.schedule(after: .seconds(10)) { log.record(2) }
        #expect(await waitUntil { clock.sleeperCount == 1 })
        timer.cancel(first)
        timer.cancel(first)
        #expect(timer.pendingCount == 1)
        clock.advance(by: .seconds(5))
        #expect(await waitUntil { clock.sleeperCount == 1 }, "woke for the cancelled one and slept again")
        #expect(log.names.isEmpty)
        clock.advance(by: .seconds(5))
        #expect(await waitUntil { log.names == [2] })
    }

    @Test("an earlier deadline than the one slept for takes over the sleep")
    func earlierTakesOver() async {
        let (clock, timer, log) = Self.fixture()
        timer.schedule(after: .seconds(60)) { log.record(60) }
        #expect(await waitUntil { clock.sleeperCount == 1 })
        timer.schedule(after: .seconds(1)) { log.record(1) }
        #expect(await waitUntil { clock.sleeperCount == 1 })
        clock.advance(by: .seconds(1))
        #expect(await waitUntil { log.names == [1] && clock.sleeperCount == 1 })
        clock.advance(by: .seconds(58))
        #expect(log.names == [1])
        clock.advance(by: .seconds(1))
        #expect(await waitUntil { log.names == [1, 60] })
        #expect(log.times == [.seconds(1), .seconds(60)])
    }

    @Test("thousands of deadlines, most cancelled: exactly the live ones fire, once, in order, on time (seeded)")
    func manyWithCancellations() async {
        let seed: UInt64 = 0xDEAD_11E
        var random = SeededRandom(seed: seed)
        let (clock, timer, log) = Self.fixture()
        var live: [(name: Int, delay: Int)] = []
        var handles: [(Int, Int, DeadlineTimer.Handle)] = []
        for name in 0..<3_000 {
            let delay = Int.random(in: 1...100, using: &random)
            handles.append((name, delay, timer.schedule(after: .seconds(delay)) { log.record(name) }))
        }
        // Cancelling four in five leaves the heap mostly dead: it is rebuilt on the way.
        for (name, delay, handle) in handles {
            if Int.random(in: 0..<5, using: &random) == 0 { live.append((name, delay)) } else { timer.cancel(handle) }
        }
        #expect(timer.pendingCount == live.count, "seed \(seed)")
        for second in 1...100 {
            clock.advance(by: .seconds(1))
            let expected = live.filter { $0.delay <= second }.count
            guard await waitUntil(timeout: .seconds(30), { log.names.count == expected }) else {
                Issue.record("seed \(seed): \(log.names.count) fired by \(second) s, expected \(expected)")
                return
            }
        }
        let expectedOrder = live.sorted { ($0.delay, $0.name) < ($1.delay, $1.name) }.map(\.name)
        #expect(log.names == expectedOrder, "seed \(seed)")
        let due = Dictionary(uniqueKeysWithValues: live.map { ($0.name, Duration.seconds($0.delay)) })
        #expect(zip(log.names, log.times).allSatisfy { due[$0.0] == $0.1 }, "seed \(seed): each fired at its own second")
        #expect(timer.pendingCount == 0)
    }

    @Test("after shutdown nothing fires and nothing new is kept")
    func shutdown() async {
        let (clock, timer, log) = Self.fixture()
        timer.schedule(after: .seconds(1)) { log.record(1) }
        #expect(await waitUntil { clock.sleeperCount == 1 })
        timer.shutdown()
        #expect(await waitUntil { clock.sleeperCount == 0 })
        timer.schedule(after: .seconds(1)) { log.record(2) }
        #expect(timer.pendingCount == 0)
        clock.advance(by: .seconds(5))
        #expect(clock.sleeperCount == 0 && log.names.isEmpty)
    }
}
