import ShoalCore
import ShoalPorts
import Synchronization

/// Coalesces an object server's container updates per container replica. An update to a
/// replica with none on its way goes at once, alone, as it always did; updates that come
/// while one is on its way wait for it and then go together, in one request
/// (``ContainerUpdateBatch``) that the container server applies in one transaction. So no
/// update waits unless one to the same replica is already in flight, and under load N
/// writes to a container cost one message each way and one commit instead of N.
///
/// The first waiting writer sends the next batch, its own update included, and tells the
/// others how it went; a batch goes in a task of its own, so a writer whose request is
/// cancelled does not fail the others' updates. Each writer then keeps its async pending
/// as before when its batch was not taken.
final class ContainerUpdateBatcher: Sendable {
    /// One container replica: where it lives and which database.
    struct Destination: Hashable, Sendable {
        let address: ClusterAddress
        let device: DeviceID
        let partition: Int
        let account: String
        let container: String
    }

    /// Sends updates (one or a batch) to a replica: the status it answered, or nil.
    typealias Send = @Sendable (Destination, [ContainerUpdate]) async -> Int?

    private enum Turn: Sendable {
        case done(Int?)
        /// Send this batch (whose first update is the woken writer's own).
        case lead([Waiter])
    }

    private struct Waiter: Sendable {
        let update: ContainerUpdate
        /// Nil for the writer that found the line free (it leads without waiting).
        let continuation: CheckedContinuation<Turn, Never>?
    }

    /// A destination is in `lines` while an update to it is on its way; what waits is there.
    private let lines = Mutex<[Destination: [Waiter]]>([:])
    let maximumBatch: Int
    private let send: Send

    init(maximumBatch: Int = 256, send: @escaping Send) {
        self.maximumBatch = max(1, min(maximumBatch, ContainerUpdateBatch.maximumCount))
        self.send = send
    }

    /// Destinations with an update on its way, and updates waiting behind them (for tests).
    var busyDestinations: Int { lines.withLock { $0.count } }
    var waitingUpdates: Int { lines.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    /// Tells `destination` about `update`, alone or in a batch; the replica's status, or nil
    /// when it did not answer.
    func submit(_ update: ContainerUpdate, to destination: Destination) async -> Int? {
        let turn: Turn = await withCheckedContinuation { continuation in
            let leadsNow: Bool = lines.withLock { lines in
                guard lines[destination] != nil else {
                    lines[destination] = []
                    return true
                }
                lines[destination]?.append(Waiter(update: update, continuation: continuation))
                return false
            }
            if leadsNow { continuation.resume(returning: .lead([Waiter(update: update, continuation: nil)])) }
        }
        switch turn {
        case .done(let status): return status
        case .lead(let batch): return await lead(batch, to: destination)
        }
    }

    private func lead(_ batch: [Waiter], to destination: Destination) async -> Int? {
        let updates = batch.map(\.update)
        let status: Int?
        if updates.count == 1 {
            status = await send(destination, updates)
        } else {
            let send = self.send
            status = await Task { await send(destination, updates) }.value
        }
        for waiter in batch.dropFirst() { waiter.continuation?.resume(returning: .done(status)) }
        // Hand the line to the first writer still waiting, or free it.
        let next: [Waiter]? = lines.withLock { lines in
            guard let waiting = lines[destination], !waiting.isEmpty else {
                lines[destination] = nil
                return nil
            }
            let taken = Array(waiting.prefix(maximumBatch))
            lines[destination] = Array(waiting.dropFirst(taken.count))
            return taken
        }
        if let next { next[0].continuation?.resume(returning: .lead(next)) }
        return status
    }
}

extension ContainerUpdateBatcher {
    /// The batcher of an object server: a lone update is Swift's PUT or DELETE of the
    /// object row, several are one ``ContainerUpdateBatch``.
    convenience init(client: BackendClient, timeout: Duration) {
        self.init { destination, updates in
            let head: BackendRequestHead
            var body: ChunkStream?
            if updates.count == 1 {
                head = updates[0].backendHead(device: destination.device, partition: destination.partition)
            } else {
                let bytes = ContainerUpdateBatch.encode(updates)
                head = BackendRequestHead(
                    method: ContainerUpdateBatch.method, device: destination.device, partition: destination.partition,
                    account: destination.account, container: destination.container, object: nil,
                    headers: ["Content-Length": String(bytes.count)])
                body = .bytes(bytes)
            }
            do {
                let response = try await client.send(head, on: .container, to: destination.address, body: body, timeout: timeout)
                await drain(response.body)
                return response.status
            } catch {
                return nil
            }
        }
    }
}
