import Foundation
import ShoalCore
import ShoalPorts
import ShoalSQLite

/// The body of a `REPLICATE` backend request (OpenStack Swift's db_replicator RPC). The
/// head names the device, partition, account and container of the
/// receiving replica like any container or account request.
///
/// - `sync`: the sender's info. The receiver merges it (timestamps, status, metadata) and
///   answers 200 with a ``SyncAnswer``, or 404 when it has no database.
/// - `create`: the whole-rebuild path (Swift's rsync and `complete_rsync`): the receiver
///   creates the database from the info (or finds one), merges the info and answers like
///   `sync`; the sender then sends every row from row 0.
/// - `mergeItems`: a batch of rows, the sender's database id and the sync point the batch
///   brings the receiver to; the receiver merges them, records the point and answers 204.
///
/// On the wire (``body()``): `sync` and `create` (one each per peer and pass) are JSON;
/// `mergeItems` is binary, ``mergeItemsTag`` then the source id, the sync point, the row
/// count and each row (``WireCodable``). A receiver also takes a JSON `mergeItems`, as
/// nodes before the binary form sent it.
enum ReplicationRequest<Row: ReplicatedRow>: Codable, Sendable {
    case sync(ReplicationInfo)
    case create(ReplicationInfo)
    case mergeItems(sourceID: String, items: [Row], syncPoint: Int64)

    /// The first byte of a binary `mergeItems` body (a JSON body starts with `{`).
    static var mergeItemsTag: UInt8 { 0xB1 }

    func body() throws -> [UInt8] {
        guard case .mergeItems(let sourceID, let items, let syncPoint) = self else { return Array(try JSONEncoder().encode(self)) }
        var writer = ByteWriter(reservingCapacity: 64 + items.count * 160)
        writer.write(Self.mergeItemsTag)
        writer.writeString(sourceID)
        writer.write(syncPoint)
        writer.writeVarint(items.count)
        for item in items { item.encode(into: &writer) }
        return writer.bytes
    }

    /// Nil for a body that is neither form, or malformed.
    init?(body bytes: [UInt8]) {
        guard let first = bytes.first else { return nil }
        guard first == Self.mergeItemsTag else {
            guard let request = try? JSONDecoder().decode(Self.self, from: Data(bytes)) else { return nil }
            self = request
            return
        }
        do throws(WireError) {
            var reader = ByteReader(bytes)
            _ = try reader.readUInt8()
            let sourceID = try reader.readString(field: "sourceID", limit: 256)
            let syncPoint = try reader.readInt64()
            // The smallest row (an object row with empty strings) takes 22 bytes.
            let count = try reader.readItemCount(field: "items", minimumItemBytes: 22)
            var items: [Row] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try Row(from: &reader)) }
            try reader.expectEnd()
            self = .mergeItems(sourceID: sourceID, items: items, syncPoint: syncPoint)
        } catch {
            return nil
        }
    }
}

/// The answer to `sync` and `create`: the receiver's database id and the highest row of
/// the sender's it has merged (`-1` for none), where the sender resumes.
struct SyncAnswer: Codable, Sendable {
    let id: String
    let syncPoint: Int64
}

/// A `REPLICATE` body as a server received it: read whole before the request is routed,
/// since every other request's body is dropped unread.
struct ReplicationBody: Sendable {
    static let method = "REPLICATE"
    /// A batch of 1,000 rows with the longest names is about 1.5 MB.
    static let maximumBytes = 32 << 20

    /// Nil when the body could not be read (too large, or the stream failed).
    let bytes: [UInt8]?

    init(collecting body: ChunkStream?) async {
        bytes = try? await body?.collect(upTo: Self.maximumBytes) ?? []
    }

    /// The server side of every operation, on the replica `broker` keeps.
    func respond<Broker: ReplicatedDatabase>(broker: Broker) async throws -> StorageResponse {
        guard let bytes, let request = ReplicationRequest<Broker.Row>(body: bytes) else { return StorageResponse(.badRequest("Invalid REPLICATE body")) }
        switch request {
        case .sync(let info):
            guard await broker.exists else { return .empty(404) }
            return try await answer(merging: info, into: broker)
        case .create(let info):
            do { try await broker.create(replicaOf: info) } catch BrokerError.alreadyExists {}
            return try await answer(merging: info, into: broker)
        case .mergeItems(let sourceID, let items, let syncPoint):
            guard await broker.exists else { return .empty(404) }
            try await broker.merge(items: items)
            try await broker.recordSyncPoint(syncPoint, for: sourceID, .incoming)
            return .empty(204)
        }
    }

    private func answer<Broker: ReplicatedDatabase>(merging info: ReplicationInfo, into broker: Broker) async throws
        -> StorageResponse
    {
        try await broker.merge(replicationInfo: info)
        let answer = SyncAnswer(id: try await broker.replicationInfo().id,
                                syncPoint: try await broker.syncPoint(for: info.id, .incoming))
        let text = String(decoding: try JSONEncoder().encode(answer), as: UTF8.self)
        return StorageResponse(status: 200, headers: HeaderFields(), text: text, contentType: "application/json")
    }
}
