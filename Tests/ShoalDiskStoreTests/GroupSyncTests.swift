import Foundation
import Synchronization
import Testing
import ShoalPorts
@testable import ShoalDiskStore

/// The group commit under the object store: one flush serves every writer waiting, and a
/// writer never counts a flush that began before it asked.
struct GroupSyncTests {
    @Test func concurrentWritersShareFlushes() throws {
        let flushes = Atomic<Int>(0)
        let sync = GroupSync {
            flushes.add(1, ordering: .relaxed)
            Thread.sleep(forTimeInterval: 0.002)
            return 0
        }
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            for _ in 0..<25 {
                do { try sync.sync() } catch { failures.add(1, ordering: .relaxed) }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        let count = flushes.load(ordering: .relaxed)
        #expect(count >= 25 && count < 16 * 25, "400 syncs took \(count) flushes")
    }

    @Test func aFlushAlreadyRunningDoesNotCountForALaterWriter() throws {
        let flushes = Atomic<Int>(0)
        let firstStarted = DispatchSemaphore(value: 0)
        let releaseFirst = DispatchSemaphore(value: 0)
        let sync = GroupSync {
            if flushes.add(1, ordering: .relaxed).newValue == 1 {
                firstStarted.signal()
                releaseFirst.wait()
            }
            return 0
        }
        let first = Thread { try? sync.sync() }
        first.start()
        firstStarted.wait()
        // The second writer arrives while flush 1 runs: only flush 2 may release it.
        let secondDone = DispatchSemaphore(value: 0)
        let seenBySecond = Atomic<Int>(0)
        let second = Thread {
            try? sync.sync()
            seenBySecond.store(flushes.load(ordering: .relaxed), ordering: .relaxed)
            secondDone.signal()
        }
        second.start()
        #expect(secondDone.wait(timeout: .now() + .milliseconds(50)) == .timedOut, "it waits while flush 1 runs")
        releaseFirst.signal()
        #expect(secondDone.wait(timeout: .now() + .seconds(10)) == .success)
        #expect(seenBySecond.load(ordering: .relaxed) == 2)
    }

    @Test func aFailedFlushFailsTheWritersItCoveredOnly() throws {
        let flushes = Atomic<Int>(0)
        let sync = GroupSync { flushes.add(1, ordering: .relaxed).newValue == 1 ? EIO : 0 }
        #expect(throws: ObjectStoreError.io(operation: "syncfs", errno: EIO)) { try sync.sync() }
        try sync.sync()
        #expect(flushes.load(ordering: .relaxed) == 2)
    }
}
