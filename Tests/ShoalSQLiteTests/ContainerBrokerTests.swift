import Foundation
import ShoalCore
import ShoalSQLite
import Testing

@Suite("Container broker")
struct ContainerBrokerTests {
    private func makeBroker(_ folder: TemporaryFolder, _ executor: SQLiteExecutor) async throws -> ContainerBroker {
        try await makeContainerBroker(folder, executor)
    }

    @Test("an older put after a newer delete is ignored; a newer put revives")
    func lastWriterWins() async throws {
        try await withFixture { folder, executor in
            let broker = try await makeBroker(folder, executor)
            #expect(try await broker.putObject(name: "a", timestamp: ts(10), size: 5, contentType: "text/plain", etag: "e1"))
            #expect(try await broker.deleteObject(name: "a", timestamp: ts(20)))
            #expect(try await !broker.putObject(name: "a", timestamp: ts(15), size: 7, contentType: "text/plain", etag: "e2"))
            #expect(try await !broker.putObject(name: "a", timestamp: ts(20), size: 7, contentType: "text/plain", etag: "e2"))
            #expect(try await broker.list(query: ListingQuery()).isEmpty)
            #expect(try await broker.info().objectCount == 0)
            #expect(try await broker.putObject(name: "a", timestamp: ts(20, offset: 1), size: 9, contentType: "x/y", etag: "e3"))
            let listing = try await broker.list(query: ListingQuery())
            #expect(listing == [.object(ObjectListingEntry(
                name: "a", bytes: 9, etag: "e3", contentType: "x/y", lastModified: ts(20, offset: 1)))])
            // An older delete after a newer put is ignored too.
            #expect(try await !broker.deleteObject(name: "a", timestamp: ts(19)))
            #expect(try await broker.info().objectCount == 1)
        }
    }

    @Test("counts and bytes stay exact through overwrites, deletes and batches")
    func countsAndBytes() async throws {
        try await withFixture { folder, executor in
            let broker = try await makeBroker(folder, executor)
            try await broker.putObject(name: "a", timestamp: ts(1), size: 100, contentType: "t", etag: "x")
            try await broker.putObject(name: "b", timestamp: ts(1), size: 50, contentType: "t", etag: "x")
            try await broker.putObject(name: "a", timestamp: ts(2), size: 30, contentType: "t", etag: "y")
            var info = try await broker.info()
            #expect(info.objectCount == 2 && info.bytesUsed == 80)
            try await broker.deleteObject(name: "b", timestamp: ts(3))
            try await broker.deleteObject(name: "never-there", timestamp: ts(3))
            info = try await broker.info()
            #expect(info.objectCount == 1 && info.bytesUsed == 30)
            let applied = try await broker.merge(items: [
                ObjectRecord(name: "c", timestamp: ts(5), size: 1, contentType: "t", etag: "1"),
                ObjectRecord(name: "c", timestamp: ts(4), size: 2, contentType: "t", etag: "2"),  // older: ignored
                ObjectRecord(name: "d", timestamp: ts(5), size: 3, contentType: "t", etag: "3"),
                .tombstone(name: "a", timestamp: ts(6)),
            ])
            #expect(applied == 3)
            info = try await broker.info()
            #expect(info.objectCount == 2 && info.bytesUsed == 4)
            #expect(try await broker.names(ListingQuery()) == ["c", "d"])
        }
    }

    @Test("a container with objects is not empty; deleted only once empty and delete is newer")
    func emptyAndDeleted() async throws {
        try await withFixture { folder, executor in
            let broker = try await makeBroker(folder, executor)
            #expect(try await broker.isEmpty)
            try await broker.putObject(name: "a", timestamp: ts(1), size: 1, contentType: "t", etag: "x")
            #expect(try await !broker.isEmpty)
            try await broker.markDeleted(timestamp: ts(2))
            #expect(try await !broker.isDeleted, "objects keep it alive (the server answers 409 first)")
            try await broker.deleteObject(name: "a", timestamp: ts(3))
            #expect(try await broker.isEmpty)
            #expect(try await broker.isDeleted)
            try await broker.updatePutTimestamp(ts(4))
            let info = try await broker.info()
            #expect(!info.isDeleted)
            #expect(info.statusChangedAt == ts(4))
            #expect(info.putTimestamp == ts(4) && info.deleteTimestamp == ts(2))
        }
    }

    @Test("metadata is last-writer-wins per key and an empty value deletes")
    func metadata() async throws {
        try await withFixture { folder, executor in
            let broker = try await makeBroker(folder, executor)
            try await broker.updateMetadata(["X-Container-Meta-Color": "blue", "X-Container-Read": ".r:*"], timestamp: ts(10))
            try await broker.updateMetadata(["X-Container-Meta-Color": "red"], timestamp: ts(5))  // older
            #expect(try await broker.info().metadata.visible == ["X-Container-Meta-Color": "blue", "X-Container-Read": ".r:*"])
            try await broker.updateMetadata(["X-Container-Meta-Color": ""], timestamp: ts(11))
            try await broker.updateMetadata(["X-Container-Meta-Color": "green"], timestamp: ts(10, offset: 5))  // older than the delete
            let metadata = try await broker.info().metadata
            #expect(metadata.visible == ["X-Container-Read": ".r:*"])
            #expect(metadata.items["X-Container-Meta-Color"] == .init(value: "", timestamp: ts(11)))
            try await broker.markDeleted(timestamp: ts(12))
            #expect(try await broker.info().metadata.visible.isEmpty)
        }
    }

    @Test("everything survives close and reopen, from a new broker on the same file")
    func reopen() async throws {
        try await withFixture { folder, executor in
            let broker = try await makeBroker(folder, executor)
            try await broker.putObject(name: "é/1", timestamp: ts(1), size: 10, contentType: "t", etag: "x")
            try await broker.putObject(name: "z", timestamp: ts(2), size: 20, contentType: "t", etag: "y")
            try await broker.deleteObject(name: "z", timestamp: ts(3))
            try await broker.updateMetadata(["X-Container-Meta-A": "1"], timestamp: ts(4))
            let before = try await broker.info()
            await broker.close()
            let again = ContainerBroker(path: broker.path, executor: executor)
            #expect(try await again.info() == before)
            #expect(try await again.names(ListingQuery()) == ["é/1"])
            #expect(try await again.items(afterRow: 0, limit: 10).map(\.name) == ["é/1", "z"])
            #expect(before.account == "AUTH_test" && before.container == "photos" && before.objectCount == 1)
        }
    }

    @Test("create twice is refused; a missing database is not found")
    func existence() async throws {
        try await withFixture { folder, executor in
            let broker = try await makeBroker(folder, executor)
            await #expect(throws: BrokerError.alreadyExists(path: broker.path)) {
                try await broker.create(account: "AUTH_test", container: "photos", putTimestamp: ts(1))
            }
            let missing = ContainerBroker(path: folder.file("nope.db"), executor: executor)
            #expect(await !missing.exists)
            await #expect(throws: BrokerError.notFound(path: missing.path)) { try await missing.info() }
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.file("c/containers/1/abc"))
            #expect(leftovers.allSatisfy { !$0.contains(".tmp-") })
        }
    }

    @Test("items(afterRow:) returns rows in ROWID order; a replaced row comes back with a new ROWID")
    func itemsAfterRow() async throws {
        try await withFixture { folder, executor in
            let broker = try await makeBroker(folder, executor)
            try await broker.merge(items: (0..<5).map {
                ObjectRecord(name: "o\($0)", timestamp: ts(1), size: Int64($0), contentType: "t", etag: "e")
            })
            let first = try await broker.items(afterRow: 0, limit: 3)
            #expect(first.map(\.name) == ["o0", "o1", "o2"])
            let rest = try await broker.items(afterRow: first.last!.rowID, limit: 100)
            #expect(rest.map(\.name) == ["o3", "o4"])
            try await broker.deleteObject(name: "o1", timestamp: ts(2))
            let changed = try await broker.items(afterRow: rest.last!.rowID, limit: 100)
            #expect(changed.count == 1 && changed[0].name == "o1" && changed[0].deleted && changed[0].timestamp == ts(2))
            #expect(try await broker.info().maxRow == changed[0].rowID)
            // Replaying the rows into a second replica converges.
            let replica = ContainerBroker(path: folder.file("replica.db"), executor: executor)
            try await replica.create(account: "AUTH_test", container: "photos", putTimestamp: ts(0))
            try await replica.merge(items: try await broker.items(afterRow: 0, limit: 100))
            #expect(try await replica.list(query: ListingQuery()) == (try await broker.list(query: ListingQuery())))
            #expect(try await replica.info().objectCount == 4)
        }
    }
}

@Suite("Container broker group commit")
struct ContainerBrokerGroupCommitTests {
    @Test("concurrent rows all land, in fewer transactions than rows, last writer still winning")
    func groupCommit() async throws {
        try await withFixture { folder, executor in
            let broker = ContainerBroker(path: folder.file("c/container.db"), executor: executor)
            try await broker.create(account: "AUTH_test", container: "c", putTimestamp: ts(0))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        try await broker.commit(ObjectRecord(name: "o\(index)", timestamp: ts(Int64(1 + index)), size: 10,
                                                             contentType: "text/plain", etag: "e"))
                    }
                }
                try await group.waitForAll()
            }
            let info = try await broker.info()
            #expect(info.objectCount == 200 && info.bytesUsed == 2_000)
            let commits = await broker.groupCommits
            #expect(commits >= 1 && commits < 200, "\(commits) transactions for 200 rows")
            // An older tombstone loses; a newer one wins.
            try await broker.commit(.tombstone(name: "o5", timestamp: ts(1)))
            try await broker.commit(.tombstone(name: "o6", timestamp: ts(1_000)))
            let names = try await broker.list(query: ListingQuery()).map(\.name)
            #expect(names.contains("o5") && !names.contains("o6") && names.count == 199)
        }
    }
}
