import Foundation
import Logging
import ShoalCore
import ShoalPorts
import ShoalSQLite
import ShoalSwiftAPI

/// OpenStack Swift's object server (`swift/obj/server.py`) for this node's devices: PUT,
/// GET, HEAD, DELETE and POST of object replicas, each followed (for writes) by an update
/// of the object's container listing, kept as an async pending when the container server
/// cannot take it. ETags go out quoted, as swob sends them. Put on the `.object` channel with ``BackendTransportHandler``; the
/// proxy is its only caller and has already checked auth and client-facing limits.
public struct ObjectServer: BackendServer {
    /// The headers a PUT may store besides user metadata and sysmeta, and a POST may
    /// replace (Swift's default `allowed_headers`), lowercase.
    public static let allowedHeaders: Set<String> = [
        "content-disposition", "content-encoding", "x-delete-at", "x-object-manifest", "x-static-large-object",
        "cache-control", "content-language", "expires", "x-robots-tag",
    ]
    static let sysmetaPrefix = "x-object-sysmeta-"
    static let transientSysmetaPrefix = "x-object-transient-sysmeta-"

    let devices: [DeviceID: any ObjectStore]
    let asyncPendings: [DeviceID: any AsyncPendingQueue]
    /// Each device's objects with an `X-Delete-At`, for the ``ObjectExpirer``.
    let expiryQueues: [DeviceID: ExpiryQueue]
    let layout: StorageLayout
    let updates: ReplicaUpdates
    /// Container updates to one replica that come while one is on its way go together.
    let containerUpdates: ContainerUpdateBatcher
    let logger: Logger
    /// The current time: expiry (`X-Delete-At`) is judged against it.
    let now: @Sendable () -> SwiftTimestamp

    public init(
        devices: [DeviceID: any ObjectStore], asyncPendings: [DeviceID: any AsyncPendingQueue], layout: StorageLayout,
        client: BackendClient, cluster: any ClusterView, logger: Logger, expiryQueues: [DeviceID: ExpiryQueue] = [:],
        now: @escaping @Sendable () -> SwiftTimestamp = ObjectServer.systemNow
    ) {
        self.devices = devices
        self.asyncPendings = asyncPendings
        self.expiryQueues = expiryQueues
        self.layout = layout
        let updates = ReplicaUpdates(client: client, cluster: cluster)
        self.updates = updates
        self.containerUpdates = ContainerUpdateBatcher(client: client, timeout: updates.timeout)
        self.logger = logger
        self.now = now
    }

    @Sendable public static func systemNow() -> SwiftTimestamp {
        SwiftTimestamp(seconds: Date().timeIntervalSince1970) ?? SwiftTimestamp(ticks: 0)
    }

    public func handle(_ head: BackendRequestHead, body: ChunkStream?) async -> StorageResponse {
        guard let store = devices[head.device] else { return .insufficientStorage }
        guard let container = head.container, let object = head.object,
              let hash = ObjectHash(digest: layout.hasher.digest(account: head.account, container: container, object: object)),
              let key = ObjectKey(partition: head.partition, hash: hash, account: head.account, container: container, object: object)
        else { return StorageResponse(.badRequest("Invalid path: \(head.path)")) }
        do {
            switch head.method {
            case "PUT": return try await put(head, key: key, store: store, body: body ?? .empty)
            case "GET": return try await get(head, key: key, store: store)
            case "HEAD": return try await self.head(head, key: key, store: store)
            case "DELETE": return try await delete(head, key: key, store: store)
            case "POST": return try await post(head, key: key, store: store)
            default: return StorageResponse(.methodNotAllowed, headers: ["Allow": "DELETE, GET, HEAD, POST, PUT"])
            }
        } catch {
            return .failure(error, role: "object", head: head, logger: logger)
        }
    }

    // MARK: Shared by the handlers

    /// What a store holds for a request, with expiry applied (Swift's `DiskFileExpired`
    /// counts as deleted at the data's timestamp).
    enum Found {
        case live(ObjectMetadata)
        case expired(ObjectMetadata)
        case deleted(SwiftTimestamp)
        case missing

        /// What a store said is current, with expiry applied at `time`.
        init(_ state: ObjectState, at time: SwiftTimestamp) {
            switch state {
            case .missing: self = .missing
            case .deleted(let timestamp): self = .deleted(timestamp)
            case .present(let metadata, _): self = Found(present: metadata, at: time)
            }
        }

        /// Stored data, live or past its `X-Delete-At` at `time`.
        init(present metadata: ObjectMetadata, at time: SwiftTimestamp) {
            if let deleteAt = metadata.deleteAt, deleteAt <= time.ticks / SwiftTimestamp.ticksPerSecond {
                self = .expired(metadata)
            } else {
                self = .live(metadata)
            }
        }

        var timestamp: SwiftTimestamp? {
            switch self {
            case .live(let metadata), .expired(let metadata): metadata.timestamp
            case .deleted(let timestamp): timestamp
            case .missing: nil
            }
        }
    }

    func find(_ key: ObjectKey, in store: any ObjectStore, at time: SwiftTimestamp) async throws -> Found {
        Found(try await store.head(key), at: time)
    }

    /// `X-Delete-At` of a write: absent, or whole seconds not before the write (else 400).
    func deleteAt(of head: BackendRequestHead, timestamp: SwiftTimestamp) throws(SwiftError) -> Int64? {
        guard let text = head.headers[BackendHeader.deleteAt], !text.isEmpty else { return nil }
        guard let value = Int64(text.trimmingWhitespace()) else { throw .badRequest("Non-integer X-Delete-At") }
        // Compared as Swift compares them: the whole second against the exact request time.
        let (ticks, overflow) = value.multipliedReportingOverflow(by: SwiftTimestamp.ticksPerSecond)
        guard overflow || ticks >= timestamp.ticks else {
            throw .badRequest("X-Delete-At in past")
        }
        return value
    }

    /// The user metadata, POST-able headers and (when `includeSysmeta`) sysmeta of a write.
    func storedHeaders(of head: BackendRequestHead, includeSysmeta: Bool) throws(SwiftError)
        -> (user: [String: String], other: [String: String])
    {
        let user = try MetadataRules.userMetadata(in: head.headers.map { ($0.name, $0.value) }, target: .object)
        var other: [String: String] = [:]
        for field in head.headers {
            let name = field.name.lowercased()
            if Self.allowedHeaders.contains(name) || name.hasPrefix(Self.transientSysmetaPrefix)
                || (includeSysmeta && name.hasPrefix(Self.sysmetaPrefix)) {
                other[name] = field.value
            }
        }
        return (user, other)
    }
}

extension ObjectMetadata {
    /// `X-Delete-At` as whole seconds, when set.
    var deleteAt: Int64? { otherHeaders["x-delete-at"].flatMap { Int64($0) } }

    /// The ETag as Swift's servers send it (swob quotes it); the proxy passes it on.
    var quotedETag: String { "\"\(etag)\"" }

    /// Swift's `Last-Modified`: the timestamp rounded up to the second.
    var lastModifiedSeconds: Int64 { timestamp.lastModifiedSeconds }
}
