import ShoalCore
import ShoalDiskStore

/// Where the object server keeps container updates it could not deliver, per device, and
/// where the ``ObjectUpdater`` finds them: `AsyncPendingStore` on disk; tests use an
/// in-memory twin.
public protocol AsyncPendingQueue: Sendable {
    /// Durably saves `update` for the object with `hash`.
    @discardableResult
    func save(_ update: ContainerUpdate, objectHash hash: ObjectHash) async throws -> AsyncPendingStore.Entry
    /// Every saved entry, oldest first.
    func list() async throws -> [AsyncPendingStore.Entry]
    /// The update saved as `entry`, or nil when it is gone.
    func load(_ entry: AsyncPendingStore.Entry) async throws -> ContainerUpdate?
    /// Forgets a delivered entry.
    func remove(_ entry: AsyncPendingStore.Entry) async throws
}

extension AsyncPendingStore: AsyncPendingQueue {}
