import Foundation
import ShoalCore
import ShoalSQLite
import Testing

/// Throughput numbers for the report, not pass/fail checks: run with
/// `SHOAL_SQLITE_MEASURE=1 swift test --filter BrokerMeasurements`.
@Suite("Broker measurements", .enabled(if: ProcessInfo.processInfo.environment["SHOAL_SQLITE_MEASURE"] != nil))
struct BrokerMeasurements {
    private func seconds(_ body: () async throws -> Void) async rethrows -> Double {
        let clock = ContinuousClock()
        let elapsed = try await clock.measure { try await body() }
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    @Test("putObject one at a time and in batches of 1,000; listing 10,000 names")
    func throughput() async throws {
        try await withFixture { folder, executor in
            let broker = ContainerBroker(path: folder.file("bench.db"), executor: executor)
            try await broker.create(account: "AUTH_bench", container: "c", putTimestamp: ts(0))
            let singles = 300
            let single = try await seconds {
                for index in 0..<singles {
                    try await broker.putObject(
                        name: "single/\(index)", timestamp: ts(1), size: 1024, contentType: "application/octet-stream",
                        etag: "d41d8cd98f00b204e9800998ecf8427e")
                }
            }
            let batches = 100
            let batched = try await seconds {
                for batch in 0..<batches {
                    try await broker.merge(items: (0..<1_000).map { index in
                        ObjectRecord(
                            name: String(format: "dir%03ld/object-%06ld", batch % 37, batch * 1_000 + index), timestamp: ts(2),
                            size: 1024, contentType: "application/octet-stream", etag: "d41d8cd98f00b204e9800998ecf8427e")
                    })
                }
            }
            var listed = 0
            let rounds = 10
            let listing = try await seconds {
                for _ in 0..<rounds { listed = try await broker.list(query: ListingQuery(limit: 10_000)).count }
            }
            var subdirs = 0
            let delimited = try await seconds {
                for _ in 0..<rounds { subdirs = try await broker.list(query: ListingQuery(delimiter: "/")).count }
            }
            let overwrite = try await seconds {
                try await broker.merge(items: (0..<1_000).map { index in
                    ObjectRecord(
                        name: String(format: "dir000/object-%06ld", index), timestamp: ts(3),
                        size: 10, contentType: "text/plain", etag: "x")
                })
            }
            print(String(format: "putObject batch of 1 (synchronous=FULL): %.0f inserts/s (%ld in %.2f s)",
                         Double(singles) / single, singles, single))
            print(String(format: "merge batches of 1,000: %.0f inserts/s (%ld rows in %.2f s)",
                         Double(batches * 1_000) / batched, batches * 1_000, batched))
            print(String(format: "overwrite batch of 1,000 existing names: %.1f ms", overwrite * 1_000))
            print(String(format: "list 10,000 of %ld names: %.1f ms each", 100_000 + singles, listing / Double(rounds) * 1_000))
            print(String(format: "list with delimiter '/' (%ld subdirs): %.2f ms each", subdirs, delimited / Double(rounds) * 1_000))
            #expect(listed == 10_000)
            #expect(try await broker.info().objectCount == Int64(100_000 + singles))
        }
    }
}
