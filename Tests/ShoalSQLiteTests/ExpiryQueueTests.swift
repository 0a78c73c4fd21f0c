import ShoalCore
import ShoalSQLite
import Testing

@Suite("Expiry queue")
struct ExpiryQueueTests {
    @Test("entries come out due-first, only once due, and survive reopening")
    func dueOrder() async throws {
        try await withFixture { folder, executor in
            let path = folder.file("d0/expiring.db")
            var queue = ExpiryQueue(path: path, executor: executor)
            let late = ExpiryQueue.Entry(deleteAt: 300, account: "AUTH_a", container: "c", object: "late", timestamp: ts(1))
            let soon = ExpiryQueue.Entry(deleteAt: 100, account: "AUTH_a", container: "c", object: "soon", timestamp: ts(1))
            let middle = ExpiryQueue.Entry(deleteAt: 200, account: "AUTH_a", container: "c", object: "mid", timestamp: ts(2))
            for entry in [late, soon, middle] { try await queue.add(entry) }
            try await queue.add(soon)  // the same version twice is one entry
            #expect(try await queue.count == 3)
            #expect(try await queue.due(now: 99, limit: 10).isEmpty)
            #expect(try await queue.due(now: 250, limit: 10) == [soon, middle])
            #expect(try await queue.due(now: 1_000, limit: 1) == [soon])
            try await queue.remove(soon)
            await queue.close()
            queue = ExpiryQueue(path: path, executor: executor)
            #expect(try await queue.due(now: 1_000, limit: 10) == [middle, late])
        }
    }
}
