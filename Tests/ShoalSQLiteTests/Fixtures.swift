import Foundation
import ShoalCore
import ShoalSQLite

/// A fresh folder under the system's temporary directory, removed by ``remove()``.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("shoal-sqlite-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs `body` with a temporary folder and an executor thread, cleaning both up.
func withFixture<T>(_ body: (TemporaryFolder, SQLiteExecutor) async throws -> T) async throws -> T {
    let folder = try TemporaryFolder()
    let executor = SQLiteExecutor(name: "shoal-sqlite-test")
    defer {
        executor.shutdown()
        folder.remove()
    }
    return try await body(folder, executor)
}

/// `1700000000 + seconds` as a Swift timestamp.
func ts(_ seconds: Int64, offset: UInt64 = 0) -> SwiftTimestamp {
    SwiftTimestamp(ticks: (1_700_000_000 + seconds) * SwiftTimestamp.ticksPerSecond, offset: offset)
}

/// The seed of a randomized test: `SHOAL_SEED` when set (to replay a failure), else `fallback`.
func testSeed(default fallback: UInt64) -> UInt64 {
    if let text = ProcessInfo.processInfo.environment["SHOAL_SEED"], let seed = UInt64(text) { return seed }
    return fallback
}

extension ContainerBroker {
    /// Names of a listing, subdirs marked with a trailing `[dir]` tag for readable failures.
    func names(_ query: ListingQuery) async throws -> [String] {
        try list(query: query).map { entry in
            switch entry {
            case .object(let object): object.name
            case .subdir(let subdir): subdir.prefix + "[dir]"
            }
        }
    }
}

/// The database of container `AUTH_test/photos` at `name` in `folder`, created at `created`.
func makeContainerBroker(
    _ folder: TemporaryFolder, _ executor: SQLiteExecutor, at name: String = "c/containers/1/abc/abc.db",
    created: SwiftTimestamp = ts(0)
) async throws -> ContainerBroker {
    let broker = ContainerBroker(path: folder.file(name), executor: executor)
    try await broker.create(account: "AUTH_test", container: "photos", putTimestamp: created)
    return broker
}
