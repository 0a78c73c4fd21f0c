import Foundation
import ShoalCore
import ShoalPorts
import ShoalSQLite

/// Bringing one peer up to date with one database: Swift's `_repl_to_node` and `_usync_db`.
extension DatabaseReplicator {
    struct Push {
        var rowsSent = 0
        var rebuilt = false
        /// Our highest row the peer has acknowledged.
        var syncPoint: Int64
    }

    /// A peer answered a `REPLICATE` request with an unexpected status.
    struct UnexpectedStatus: Error {
        let status: Int
    }

    /// Syncs (or rebuilds) the replica on `peer`, then sends the rows above its sync point
    /// in batches and records the outgoing sync point.
    func push(_ broker: Broker, info: ReplicationInfo, to peer: DeviceRecord, partition: Int) async throws -> Push {
        let head = BackendRequestHead(method: ReplicationBody.method, device: peer.id, partition: partition,
                                      account: info.account, container: info.container)
        var rebuilt = false
        var reply = try await send(.sync(info), head: head, to: peer)
        if reply.status == 404 {
            reply = try await send(.create(info), head: head, to: peer)
            rebuilt = true
        }
        guard reply.status == 200 else { throw UnexpectedStatus(status: reply.status) }
        let answer = try JSONDecoder().decode(SyncAnswer.self, from: Data(reply.body))
        var point = max(answer.syncPoint, try await broker.syncPoint(for: answer.id, .outgoing))
        var sent = 0
        while true {
            let rows = try await broker.items(afterRow: point, limit: batchSize)
            guard let last = rows.last else { break }
            let merged = try await send(.mergeItems(sourceID: info.id, items: rows, syncPoint: last.rowID), head: head, to: peer)
            guard merged.status == 204 else { throw UnexpectedStatus(status: merged.status) }
            point = last.rowID
            sent += rows.count
        }
        try await broker.recordSyncPoint(point, for: answer.id, .outgoing)
        return Push(rowsSent: sent, rebuilt: rebuilt, syncPoint: point)
    }

    private func send(_ request: ReplicationRequest<Broker.Row>, head: BackendRequestHead, to peer: DeviceRecord)
        async throws -> (status: Int, body: [UInt8])
    {
        let body = try request.body()
        let response = try await client.send(head, on: kind.channel, to: peer.address, body: .bytes(body))
        let answer = try await response.body?.collect(upTo: ReplicationBody.maximumBytes) ?? []
        return (response.status, answer)
    }
}
