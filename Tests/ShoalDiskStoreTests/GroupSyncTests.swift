import Foundation
import Synchronization
import Testing
import ShoalPorts
@testable import ShoalDiskStore

/// The group commit under the object store: a lone writer flushes only its own files, writers
/// meeting others share one flush, and a writer never counts a flush that began before it asked.
struct GroupSyncTests {
    @Test func aLoneWriterFlushesOnlyItsOwnFiles() throws {
        let groupFlushes = Atomic<Int>(0)
        let sync = GroupSync { groupFlushes.add(1, ordering: .relaxed); return 0 }
        var own = 0
        for _ in 0..<10 { try sync.sync { own += 1; return 0 } }
        #expect(own == 10 && groupFlushes.load(ordering: .relaxed) == 0)
        #expect(throws: ObjectStoreError.io(operation: "fsync", errno: EIO)) { try sync.sync { EIO } }
    }

    @Test func concurrentWritersShareFlushes() throws {
        let flushes = Atomic<Int>(0)
        let sync = GroupSync {
            flushes.add(1, ordering: .relaxed)
            Thread.sleep(forTimeInterval: 0.002)
            return 0
        }
        let failures = Atomic<Int>(0)
        let own = Atomic<Int>(0)
        // Sixteen real threads (concurrentPerform would use one per core).
        let done = DispatchGroup()
        for _ in 0..<16 {
            done.enter()
            Thread {
                for _ in 0..<25 {
                    do {
                        try sync.sync {
                            own.add(1, ordering: .relaxed)
                            Thread.sleep(forTimeInterval: 0.002)
                            return 0
                        }
                    } catch { failures.add(1, ordering: .relaxed) }
                }
                done.leave()
            }.start()
        }
        done.wait()
        #expect(failures.load(ordering: .relaxed) == 0)
        let total = flushes.load(ordering: .relaxed) + own.load(ordering: .relaxed)
        #expect(total < 16 * 25, "400 syncs took \(flushes.load(ordering: .relaxed)) group and \(own.load(ordering: .relaxed)) own flushes")
    }

    @Test func aGroupFlushAlreadyRunningDoesNotCountForALaterWriter() throws {
        let flushes = Atomic<Int>(0)
        let groupStarted = DispatchSemaphore(value: 0)
        let releaseGroup = DispatchSemaphore(value: 0)
        let ownStarted = DispatchSemaphore(value: 0)
        let releaseOwn = DispatchSemaphore(value: 0)
        let sync = GroupSync {
            if flushes.add(1, ordering: .relaxed).newValue == 1 {
                groupStarted.signal()
                releaseGroup.wait()
            }
            return 0
        }
        // A: alone, flushing its own file (held open). B: meets A, so leads group flush 1 (held).
        let a = Thread { try? sync.sync { ownStarted.signal(); releaseOwn.wait(); return 0 } }
        a.start()
        ownStarted.wait()
        let b = Thread { try? sync.sync { Issue.record("B is not alone"); return 0 } }
        b.start()
        groupStarted.wait()
        // C arrives while group flush 1 runs: only flush 2 may release it.
        let cDone = DispatchSemaphore(value: 0)
        let seenByC = Atomic<Int>(0)
        let c = Thread {
            try? sync.sync { Issue.record("C is not alone"); return 0 }
            seenByC.store(flushes.load(ordering: .relaxed), ordering: .relaxed)
            cDone.signal()
        }
        c.start()
        #expect(cDone.wait(timeout: .now() + .milliseconds(50)) == .timedOut, "C waits while flush 1 runs")
        releaseGroup.signal()
        releaseOwn.signal()
        #expect(cDone.wait(timeout: .now() + .seconds(10)) == .success)
        #expect(seenByC.load(ordering: .relaxed) == 2)
    }

    @Test func aFailedGroupFlushFailsTheWritersItCoveredOnly() throws {
        let flushes = Atomic<Int>(0)
        let sync = GroupSync { flushes.add(1, ordering: .relaxed).newValue == 1 ? EIO : 0 }
        // Hold a lone writer so the next ones meet contention and go through the group.
        let ownStarted = DispatchSemaphore(value: 0)
        let releaseOwn = DispatchSemaphore(value: 0)
        let holder = Thread { try? sync.sync { ownStarted.signal(); releaseOwn.wait(); return 0 } }
        holder.start()
        ownStarted.wait()
        #expect(throws: ObjectStoreError.io(operation: "syncfs", errno: EIO)) { try sync.sync { 0 } }
        try sync.sync { 0 }
        releaseOwn.signal()
        #expect(flushes.load(ordering: .relaxed) == 2)
    }
}
