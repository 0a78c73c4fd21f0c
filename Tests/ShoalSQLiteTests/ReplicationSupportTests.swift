import Foundation
import ShoalCore
import ShoalSQLite
import Testing

/// What the database replicator needs of the brokers: sync points, replication info, merging
/// another replica's info, creating a replica, and rows that keep their ROWID when a merge
/// changes nothing.
@Suite("Broker replication support")
struct ReplicationSupportTests {
    private func makeContainer(_ folder: TemporaryFolder, _ executor: SQLiteExecutor) async throws -> ContainerBroker {
        try await makeContainerBroker(folder, executor, at: "c.db", created: ts(1))
    }

    @Test("sync points start at -1, only move forward, and are kept per direction and remote")
    func syncPoints() async throws {
        try await withFixture { folder, executor in
            let broker = try await makeContainer(folder, executor)
            #expect(try await broker.syncPoint(for: "peer", .incoming) == -1)
            try await broker.recordSyncPoint(7, for: "peer", .incoming)
            try await broker.recordSyncPoint(3, for: "peer", .incoming)
            try await broker.recordSyncPoint(2, for: "peer", .outgoing)
            try await broker.recordSyncPoint(9, for: "other", .incoming)
            #expect(try await broker.syncPoint(for: "peer", .incoming) == 7)
            #expect(try await broker.syncPoint(for: "peer", .outgoing) == 2)
            #expect(try await broker.syncPoint(for: "other", .incoming) == 9)
            await broker.close()
            let again = ContainerBroker(path: broker.path, executor: executor)
            #expect(try await again.syncPoint(for: "peer", .incoming) == 7)
        }
    }

    @Test("replication info carries names, timestamps, metadata, id and max row")
    func info() async throws {
        try await withFixture { folder, executor in
            let container = try await makeContainer(folder, executor)
            #expect(try await container.maxRow == -1)
            try await container.putObject(name: "a", timestamp: ts(2), size: 1, contentType: "t", etag: "x")
            try await container.putObject(name: "b", timestamp: ts(3), size: 1, contentType: "t", etag: "x")
            try await container.updateMetadata(["X-Container-Meta-Color": "blue"], timestamp: ts(4))
            let info = try await container.replicationInfo()
            let plain = try await container.info()
            #expect(info.account == "AUTH_test" && info.container == "photos")
            #expect(info.createdAt == ts(1) && info.putTimestamp == ts(1) && info.deleteTimestamp == plain.deleteTimestamp)
            #expect(info.metadata == plain.metadata && info.id == plain.id && !info.statusDeleted)
            let maxRow = try await container.maxRow
            #expect(info.maxRow == plain.maxRow && info.maxRow == maxRow && info.maxRow >= 2)

            let account = AccountBroker(path: folder.file("a.db"), executor: executor)
            try await account.create(account: "AUTH_test", putTimestamp: ts(1))
            try await account.markDeleted(timestamp: ts(5))
            let accountInfo = try await account.replicationInfo()
            #expect(accountInfo.container == nil && accountInfo.statusDeleted && accountInfo.deleteTimestamp == ts(5))
        }
    }

    @Test("merging info keeps the earliest creation, the newest put and delete, and each key's newest value")
    func mergeInfo() async throws {
        try await withFixture { folder, executor in
            let broker = try await makeContainer(folder, executor)
            try await broker.updateMetadata(["X-Container-Meta-A": "local", "X-Container-Meta-B": "local"], timestamp: ts(5))
            var remote = try await broker.replicationInfo()
            remote.id = "remote"
            remote.createdAt = ts(0)
            remote.putTimestamp = ts(6)
            remote.statusChangedAt = ts(6)
            remote.metadata = TimestampedMetadata(items: [
                "X-Container-Meta-A": .init(value: "remote", timestamp: ts(7)),
                "X-Container-Meta-B": .init(value: "stale", timestamp: ts(4)),
                "X-Container-Meta-C": .init(value: "new", timestamp: ts(3)),
            ])
            try await broker.merge(replicationInfo: remote)
            var info = try await broker.replicationInfo()
            #expect(info.createdAt == ts(0) && info.putTimestamp == ts(6) && info.statusChangedAt == ts(6))
            #expect(info.metadata.visible == ["X-Container-Meta-A": "remote", "X-Container-Meta-B": "local", "X-Container-Meta-C": "new"])
            #expect(info.id != "remote" && !info.statusDeleted)

            // A newer delete brings its status; an older one changes nothing.
            remote.deleteTimestamp = ts(8)
            remote.statusDeleted = true
            try await broker.merge(replicationInfo: remote)
            #expect(try await broker.isDeleted)
            remote.deleteTimestamp = ts(7)
            try await broker.merge(replicationInfo: remote)
            info = try await broker.replicationInfo()
            #expect(info.deleteTimestamp == ts(8) && info.statusDeleted)
        }
    }

    @Test("a replica created from info and given the rows matches the original but for its id")
    func rebuild() async throws {
        try await withFixture { folder, executor in
            let original = try await makeContainer(folder, executor)
            try await original.putObject(name: "a", timestamp: ts(2), size: 10, contentType: "t", etag: "x")
            try await original.deleteObject(name: "b", timestamp: ts(3))
            try await original.updateMetadata(["X-Container-Read": ".r:*"], timestamp: ts(4))
            try await original.updatePutTimestamp(ts(5))
            let source = try await original.replicationInfo()

            let copy = ContainerBroker(path: folder.file("copy.db"), executor: executor)
            try await copy.create(replicaOf: source)
            try await copy.merge(replicationInfo: source)
            #expect(try await copy.merge(items: original.items(afterRow: -1, limit: 100)) == 2)
            let rebuilt = try await copy.replicationInfo()
            #expect(rebuilt.id != source.id)
            var expected = source
            expected.id = rebuilt.id
            expected.maxRow = rebuilt.maxRow
            #expect(rebuilt == expected)
            #expect(try await copy.info().objectCount == 1)
            #expect(try await copy.items(afterRow: -1, limit: 100).map(\.name) == ["a", "b"])
            // The same rows again change nothing.
            #expect(try await copy.merge(items: original.items(afterRow: -1, limit: 100)) == 0)
            #expect(try await copy.maxRow == rebuilt.maxRow)
        }
    }

    @Test("an account row merged unchanged keeps its ROWID; a changed one gets a new one")
    func accountRowsKeepTheirROWID() async throws {
        try await withFixture { folder, executor in
            let broker = AccountBroker(path: folder.file("a.db"), executor: executor)
            try await broker.create(account: "AUTH_test", putTimestamp: ts(0))
            let zero = SwiftTimestamp(ticks: 0)
            try await broker.putContainer(name: "photos", putTimestamp: ts(1), deleteTimestamp: zero, objectCount: 2, bytesUsed: 20)
            let rows = try await broker.items(afterRow: -1, limit: 10)
            #expect(try await broker.merge(items: rows) == 0)
            #expect(try await broker.items(afterRow: -1, limit: 10) == rows)
            var changed = rows[0]
            changed.objectCount = 3
            #expect(try await broker.merge(items: [changed]) == 1)
            let after = try await broker.items(afterRow: -1, limit: 10)
            #expect(after.count == 1 && after[0].objectCount == 3 && after[0].rowID > rows[0].rowID)
        }
    }

    @Test("info and rows survive a JSON round trip, timestamp offsets included")
    func codable() async throws {
        try await withFixture { folder, executor in
            let broker = try await makeContainer(folder, executor)
            try await broker.updatePutTimestamp(ts(2, offset: 3))
            try await broker.updateMetadata(["X-Container-Meta-A": "é"], timestamp: ts(3, offset: 1))
            let info = try await broker.replicationInfo()
            #expect(try JSONDecoder().decode(ReplicationInfo.self, from: JSONEncoder().encode(info)) == info)
        }
        let rows = [ObjectRecord(name: "a", timestamp: ts(1, offset: 2), size: 3, contentType: "t", etag: "e", rowID: 4),
                    .tombstone(name: "b", timestamp: ts(2))]
        #expect(try JSONDecoder().decode([ObjectRecord].self, from: JSONEncoder().encode(rows)) == rows)
    }
}
