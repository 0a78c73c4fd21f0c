import ShoalCore
import ShoalSQLite
import Testing

@Suite("Account broker")
struct AccountBrokerTests {
    private func makeBroker(_ folder: TemporaryFolder, _ executor: SQLiteExecutor) async throws -> AccountBroker {
        let broker = AccountBroker(path: folder.file("a/account.db"), executor: executor)
        try await broker.create(account: "AUTH_test", putTimestamp: ts(0))
        return broker
    }

    private let zero = SwiftTimestamp(ticks: 0)

    @Test("put and delete timestamps merge to the newest; totals follow the last report")
    func putContainer() async throws {
        try await withFixture { folder, executor in
            let broker = try await makeBroker(folder, executor)
            try await broker.putContainer(name: "photos", putTimestamp: ts(1), deleteTimestamp: zero, objectCount: 3, bytesUsed: 300)
            try await broker.putContainer(name: "docs", putTimestamp: ts(1), deleteTimestamp: zero, objectCount: 1, bytesUsed: 10)
            var info = try await broker.info()
            #expect(info.containerCount == 2 && info.objectCount == 4 && info.bytesUsed == 310)
            // Deleted at 5 with no objects.
            try await broker.putContainer(name: "docs", putTimestamp: ts(1), deleteTimestamp: ts(5), objectCount: 0, bytesUsed: 0)
            info = try await broker.info()
            #expect(info.containerCount == 1 && info.objectCount == 3 && info.bytesUsed == 300)
            // A late report of the older put does not revive it: the stored delete is newer.
            try await broker.putContainer(name: "docs", putTimestamp: ts(2), deleteTimestamp: zero, objectCount: 0, bytesUsed: 0)
            #expect(try await broker.list(query: ListingQuery()).map(\.name) == ["photos"])
            // A newer put does.
            try await broker.putContainer(name: "docs", putTimestamp: ts(6), deleteTimestamp: zero, objectCount: 0, bytesUsed: 0)
            #expect(try await broker.list(query: ListingQuery()).map(\.name) == ["docs", "photos"])
            let items = try await broker.items(afterRow: 0, limit: 10)
            let docs = try #require(items.first { $0.name == "docs" })
            #expect(docs.putTimestamp == ts(6) && docs.deleteTimestamp == ts(5) && !docs.deleted)
        }
    }

    @Test("listing with delimiter, markers and reverse; entries carry usage")
    func listing() async throws {
        try await withFixture { folder, executor in
            let broker = try await makeBroker(folder, executor)
            try await broker.merge(items: ["logs-2024", "logs-2025", "media", "x_segments"].enumerated().map { index, name in
                ContainerRecord(name: name, putTimestamp: ts(Int64(index)), deleteTimestamp: zero, objectCount: 1, bytesUsed: 2)
            })
            let listing = try await broker.list(query: ListingQuery(delimiter: "-"))
            #expect(listing.map(\.name) == ["logs-", "media", "x_segments"])
            #expect(listing[1] == .container(ContainerListingEntry(name: "media", count: 1, bytes: 2, lastModified: ts(2))))
            #expect(listing[0] == .subdir(SubdirEntry(prefix: "logs-")))
            #expect(try await broker.list(query: ListingQuery(marker: "logs-2024", limit: 2)).map(\.name) == ["logs-2025", "media"])
            #expect(try await broker.list(query: ListingQuery(endMarker: "logs-2025", reverse: true)).map(\.name)
                == ["x_segments", "media"])
        }
    }

    @Test("metadata, delete and reopen")
    func metadataDeleteReopen() async throws {
        try await withFixture { folder, executor in
            let broker = try await makeBroker(folder, executor)
            try await broker.updateMetadata(["X-Account-Meta-Quota": "10"], timestamp: ts(1))
            try await broker.updateMetadata(["X-Account-Meta-Quota": "5"], timestamp: ts(0))
            #expect(try await broker.info().metadata.visible == ["X-Account-Meta-Quota": "10"])
            #expect(try await broker.isEmpty)
            try await broker.putContainer(name: "c", putTimestamp: ts(1), deleteTimestamp: zero, objectCount: 0, bytesUsed: 0)
            #expect(try await !broker.isEmpty)
            try await broker.markDeleted(timestamp: ts(3))
            await broker.close()
            let again = AccountBroker(path: broker.path, executor: executor)
            let info = try await again.info()
            #expect(info.isDeleted && info.statusDeleted && info.deleteTimestamp == ts(3) && info.statusChangedAt == ts(3))
            #expect(info.metadata.visible.isEmpty && info.containerCount == 1 && info.account == "AUTH_test")
        }
    }
}
