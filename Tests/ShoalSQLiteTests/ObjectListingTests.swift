import ShoalCore
import ShoalSQLite
import Testing

@Suite("Object listings")
struct ObjectListingTests {
    private func broker(
        with names: [String], deleted: [String] = [], _ folder: TemporaryFolder, _ executor: SQLiteExecutor
    ) async throws -> ContainerBroker {
        let broker = ContainerBroker(path: folder.file("listing.db"), executor: executor, durability: .normal)
        try await broker.create(account: "AUTH_test", container: "c", putTimestamp: ts(0))
        try await broker.merge(items: names.map { ObjectRecord(name: $0, timestamp: ts(1), size: 1, contentType: "t", etag: "e") })
        try await broker.merge(items: deleted.map { .tombstone(name: $0, timestamp: ts(2)) })
        return broker
    }

    @Test("names sort by UTF-8 bytes, not by Unicode collation or UTF-16")
    func unicodeOrder() async throws {
        try await withFixture { folder, executor in
            // "Z" < "a" < "é" (C3 A9) < "\u{FFFD}" (EF BF BD) < "😀" (F0 9F 98 80); UTF-16 would put 😀 before U+FFFD.
            let names = ["😀", "é", "a", "Z", "\u{FFFD}", "e\u{301}"]
            let broker = try await broker(with: names, folder, executor)
            #expect(try await broker.names(ListingQuery()) == ["Z", "a", "e\u{301}", "é", "\u{FFFD}", "😀"])
            #expect(try await broker.names(ListingQuery(reverse: true)) == ["😀", "\u{FFFD}", "é", "e\u{301}", "a", "Z"])
            #expect(try await broker.names(ListingQuery(marker: "é")) == ["\u{FFFD}", "😀"])
        }
    }

    @Test("prefix, delimiter with nested pseudo-directories, markers, limit, reverse")
    func swiftExamples() async throws {
        try await withFixture { folder, executor in
            let names = ["a", "a/", "a/b", "a/b/c", "a/b/d", "a/c", "b/x", "b/y/z", "c", "d/"]
            let broker = try await broker(with: names, deleted: ["b/gone", "e/gone"], folder, executor)
            #expect(try await broker.names(ListingQuery(delimiter: "/")) == ["a", "a/[dir]", "b/[dir]", "c", "d/[dir]"])
            #expect(try await broker.names(ListingQuery(prefix: "a/", delimiter: "/")) == ["a/", "a/b", "a/b/[dir]", "a/c"])
            #expect(try await broker.names(ListingQuery(prefix: "a/b/", delimiter: "/")) == ["a/b/c", "a/b/d"])
            #expect(try await broker.names(ListingQuery(prefix: "b/", delimiter: "/")) == ["b/x", "b/y/[dir]"])
            #expect(try await broker.names(ListingQuery(prefix: "a/b")) == ["a/b", "a/b/c", "a/b/d"])
            // The subdir given as marker is not listed again.
            #expect(try await broker.names(ListingQuery(delimiter: "/", marker: "a/")) == ["b/[dir]", "c", "d/[dir]"])
            #expect(try await broker.names(ListingQuery(marker: "a/b", endMarker: "b/y")) == ["a/b/c", "a/b/d", "a/c", "b/x"])
            #expect(try await broker.names(ListingQuery(delimiter: "/", limit: 2)) == ["a", "a/[dir]"])
            #expect(try await broker.names(ListingQuery(delimiter: "/", reverse: true)) == ["d/[dir]", "c", "b/[dir]", "a/[dir]", "a"])
            // Reversed, the marker bounds from above and end_marker from below.
            #expect(try await broker.names(ListingQuery(marker: "b/x", endMarker: "a/b/d", reverse: true)) == ["a/c"])
            #expect(try await broker.names(ListingQuery(marker: "c", reverse: true)).prefix(2) == ["b/y/z", "b/x"])
            #expect(try await broker.names(ListingQuery(limit: 0)).isEmpty)
            #expect(try await broker.names(ListingQuery(prefix: "zzz")).isEmpty)
            #expect(try await broker.names(ListingQuery(prefix: "a/", delimiter: "b/")) == ["a/", "a/b", "a/b/[dir]", "a/c"])
        }
    }

    @Test("a listing matches the reference on random names and queries (seeded)")
    func matchesReference() async throws {
        let seed = testSeed(default: 0x5EED_0001)
        print("ObjectListingTests.matchesReference seed=\(seed) (replay with SHOAL_SEED=\(seed))")
        var random = SeededRandom(seed: seed)
        let pieces = ["a", "b", "c", "/", "-", "é", "日", "😀", "a/", "//"]
        func randomString(_ maxPieces: Int) -> String {
            (0..<Int.random(in: 1...maxPieces, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
        }
        try await withFixture { folder, executor in
            var names = Set<String>()
            while names.count < 400 { names.insert(randomString(6)) }
            let all = names.sorted()
            let deleted = all.filter { _ in Int.random(in: 0..<5, using: &random) == 0 }
            let live = all.filter { !deleted.contains($0) }
            let broker = try await broker(with: all, deleted: deleted, folder, executor)
            for round in 0..<400 {
                func bound() -> String {
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: ""
                    case 1: all.randomElement(using: &random)!
                    default: randomString(3)
                    }
                }
                let delimiters: [String?] = [nil, "/", "-", "é", "a/", "😀"]
                let query = ListingQuery(
                    prefix: Int.random(in: 0..<2, using: &random) == 0 ? "" : randomString(2),
                    delimiter: delimiters.randomElement(using: &random)!, marker: bound(), endMarker: bound(),
                    limit: [0, 1, 3, 10, 50, 10_000].randomElement(using: &random)!, reverse: Bool.random(using: &random))
                let expected = ListingReference.list(names: live, query: query)
                let actual = try await broker.names(query)
                #expect(actual == expected, "seed \(seed) round \(round): \(query)")
                if actual != expected { return }
            }
        }
    }
}
