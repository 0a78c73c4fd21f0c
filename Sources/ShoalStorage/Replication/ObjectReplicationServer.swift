import Logging
import ShoalCore
import ShoalPorts

/// The receiving side of object replication on the `.objectReplication` channel (Swift's
/// `REPLICATE` verb and ssync receiver): answers suffix hashes and listings of the local
/// devices, and applies pushed versions through the same store calls a client write uses,
/// so last-writer-wins holds and a pushed body is checked against its MD5 before it counts.
public struct ObjectReplicationServer: TransportHandler {
    let server: ObjectServer

    /// Serves the devices, layout and expiry queues of `server`.
    public init(server: ObjectServer) {
        self.server = server
    }

    public func receive(oneway payload: [UInt8], on channel: Envelope.Channel) async {}

    public func respond(to request: TransportRequest) async -> TransportResponse {
        let message: ObjectReplicationRequest
        do {
            message = try ObjectReplicationRequest(wireBytes: request.head)
        } catch {
            return TransportResponse(status: .badRequest, head: ObjectReplicationResponse.refused("undecodable request: \(error)").wireBytes())
        }
        let answer: ObjectReplicationResponse
        if let store = server.devices[message.device] {
            do {
                answer = try await respond(to: message, store: store, body: request.body)
            } catch where isOutOfSpace(error) {
                server.logger.warning("device full: replication push refused", metadata: ["device": "\(message.device)"])
                answer = .full
            } catch {
                server.logger.warning("replication request failed", metadata: ["device": "\(message.device)", "error": "\(error)"])
                answer = .refused("\(error)")
            }
        } else {
            answer = .refused("no device \(message.device) here")
        }
        return TransportResponse(head: answer.wireBytes())
    }

    private func respond(to message: ObjectReplicationRequest, store: any ObjectStore, body: ChunkStream?) async throws
        -> ObjectReplicationResponse
    {
        switch message {
        case .hashes(_, let partitions):
            return .hashes(try await store.hashes(in: partitions))
        case .differingHashes(_, let partitions, let known):
            return .hashes(try await store.hashes(in: partitions).filter { partition, hashes in
                known[partition].map { $0 != PartitionObject.digest(ofSuffixHashes: hashes) } ?? true
            })
        case .objects(_, let partition, let suffixes):
            let wanted = Set(suffixes)
            return .objects(try await store.objects(inPartition: partition).filter { wanted.contains($0.hash.suffix) })
        case .push(let device, let partition, let replica, let parts):
            guard let names = replica.names,
                  let key = ObjectKey(account: names.account, container: names.container, object: names.object,
                                      hasher: server.layout.hasher, partPower: server.layout.partPower),
                  key.partition == partition
            else { return .refused("\(replica.path) does not belong to partition \(partition)") }
            try await apply(replica, parts: parts, key: key, device: device, store: store, body: body)
            return .pushed
        }
    }

    /// Stores the pushed parts; anything the store already has as new or newer is skipped.
    private func apply(_ replica: ObjectReplica, parts: ReplicaParts, key: ObjectKey, device: DeviceID,
                       store: any ObjectStore, body: ChunkStream?) async throws {
        if parts.base {
            switch replica.base {
            case .data(let metadata):
                do {
                    _ = try await store.put(key, metadata: metadata, body: body ?? .empty, expectedETag: metadata.etag)
                    try await server.scheduleExpiry(metadata.deleteAt, device: device, key: key, timestamp: metadata.timestamp)
                } catch ObjectStoreError.outdated {
                    // The peer has this version or a newer one already.
                }
            case .tombstone(let timestamp):
                _ = try await store.delete(key, timestamp: timestamp)
            }
        }
        if parts.meta, let meta = replica.meta { _ = try await store.post(key, metadata: meta) }
    }
}
