import Logging
import ShoalCore
import ShoalPorts
import ShoalSQLite
import ShoalSwiftAPI

/// OpenStack Swift's container server (`swift/container/server.py`) for this node's
/// devices: one ``ContainerBroker`` (SQLite) per container replica. Containers are PUT,
/// POST, HEAD, listed (GET) and DELETEd by the proxy; object servers PUT and DELETE object
/// rows. A container PUT or DELETE tells the account replicas the proxy names
/// (`X-Account-Device`, `X-Account-Partition`); the ``ContainerUpdater`` repairs misses.
/// Other replicas' ``DatabaseReplicator``s send `REPLICATE` (``ReplicationBody``).
public struct ContainerServer: BackendServer {
    /// Container headers stored as metadata besides `X-Container-Meta-*` and sysmeta
    /// (Swift's `save_headers`, plus the versioning locations its middlewares keep).
    public static let savedHeaders: Set<String> = [
        "x-container-read", "x-container-write", "x-container-sync-key", "x-container-sync-to",
        "x-versions-location", "x-history-location",
    ]

    /// Device id → the folder its databases live under.
    let devicePaths: [DeviceID: String]
    let layout: StorageLayout
    let brokers: BrokerCache<ContainerBroker>
    let updates: ReplicaUpdates
    let logger: Logger
    /// The free space a write must leave on the device (Swift's `fallocate_reserve`).
    let reserve: SpaceReserve

    public init(
        devicePaths: [DeviceID: String], layout: StorageLayout, executor: SQLiteExecutor, client: BackendClient,
        cluster: any ClusterView, logger: Logger, openBrokerLimit: Int = 256, reserve: SpaceReserve = .none
    ) {
        self.reserve = reserve
        self.devicePaths = devicePaths
        self.layout = layout
        self.brokers = BrokerCache(capacity: openBrokerLimit, make: { ContainerBroker(path: $0, executor: executor) },
                                   close: { await $0.close() })
        self.updates = ReplicaUpdates(client: client, cluster: cluster)
        self.logger = logger
    }

    public func handle(_ head: BackendRequestHead, body: ChunkStream?) async -> StorageResponse {
        let replication = head.method == ReplicationBody.method ? await ReplicationBody(collecting: body) : nil
        let rows = head.method == ContainerUpdateBatch.method ? await Self.rows(in: body) : nil
        if replication == nil && rows == nil { await drain(body) }
        guard let devicePath = devicePaths[head.device] else { return .insufficientStorage }
        let writesRows = (try? rows?.get())?.contains { $0.operation == .put } ?? false
        if head.method == "PUT" || head.method == ReplicationBody.method || writesRows,
           !reserve.allows(writing: 0, under: devicePath) {
            return .deviceFull(head, logger: logger)
        }
        guard let container = head.container else { return StorageResponse(.badRequest("Invalid path: \(head.path)")) }
        let broker = await brokers.broker(at: layout.containerDatabase(
            devicePath: devicePath, partition: head.partition, account: head.account, container: container))
        do {
            if let replication { return try await replication.respond(broker: broker) }
            if let rows { return try await applyRows(rows, head, container: container, broker: broker) }
            if let object = head.object {
                switch head.method {
                case "PUT": return try await putObject(head, name: object, broker: broker)
                case "DELETE": return try await deleteObject(head, name: object, broker: broker)
                default: return StorageResponse(.methodNotAllowed, headers: ["Allow": "DELETE, PUT"])
                }
            }
            switch head.method {
            case "PUT": return try await put(head, container: container, broker: broker)
            case "HEAD": return try await self.head(head, broker: broker)
            case "GET": return try await get(head, container: container, broker: broker)
            case "POST": return try await post(head, broker: broker)
            case "DELETE": return try await delete(head, broker: broker)
            default: return StorageResponse(.methodNotAllowed, headers: ["Allow": "DELETE, GET, HEAD, POST, PUT"])
            }
        } catch {
            return .failure(error, role: "container", head: head, logger: logger)
        }
    }

    // MARK: The container

    func put(_ head: BackendRequestHead, container: String, broker: ContainerBroker) async throws -> StorageResponse {
        let timestamp = try head.requiredTimestamp()
        let metadata = try Self.metadata(in: head)
        let created: Bool
        if await broker.exists {
            created = try await broker.isDeleted
            try await broker.updatePutTimestamp(timestamp)
            // Still deleted: the delete is newer than this PUT.
            if try await broker.isDeleted { return StorageResponse(.conflict) }
        } else {
            do {
                try await broker.create(account: head.account, container: container, putTimestamp: timestamp)
                created = true
            } catch BrokerError.alreadyExists {
                // Another request created it meanwhile: this PUT updates it.
                try await broker.updatePutTimestamp(timestamp)
                created = false
            }
        }
        if !metadata.isEmpty { try await broker.updateMetadata(metadata, timestamp: timestamp) }
        if await updateAccount(head, broker: broker) == .allNotFound { return StorageResponse(.notFound) }
        return .empty(created ? 201 : 202, headers: [BackendHeader.storagePolicyIndex: "0"])
    }

    func head(_ head: BackendRequestHead, broker: ContainerBroker) async throws -> StorageResponse {
        guard let info = try await liveInfo(broker) else { return StorageResponse(.notFound) }
        var headers = Self.headers(info)
        headers["Content-Type"] = try listingFormat(head).contentType
        return .empty(204, headers: headers)
    }

    func get(_ head: BackendRequestHead, container: String, broker: ContainerBroker) async throws -> StorageResponse {
        let format = try listingFormat(head)
        let query = try ListingQuery(queryItems: head.query.map { ($0.key, $0.value) })
        guard let info = try await liveInfo(broker) else { return StorageResponse(.notFound) }
        let items = try await broker.list(query: query)
        let headers = Self.headers(info)
        if format == .plain && items.isEmpty { return .empty(204, headers: headers) }
        return StorageResponse(status: 200, headers: headers,
                               text: ListingRenderer.render(items, format: format, container: container),
                               contentType: format.contentType)
    }

    func post(_ head: BackendRequestHead, broker: ContainerBroker) async throws -> StorageResponse {
        let timestamp = try head.requiredTimestamp()
        let metadata = try Self.metadata(in: head)
        guard try await liveInfo(broker) != nil else { return StorageResponse(.notFound) }
        if !metadata.isEmpty { try await broker.updateMetadata(metadata, timestamp: timestamp) }
        return .empty(204)
    }

    func delete(_ head: BackendRequestHead, broker: ContainerBroker) async throws -> StorageResponse {
        let timestamp = try head.requiredTimestamp()
        guard try await liveInfo(broker) != nil else { return StorageResponse(.notFound) }
        guard try await broker.isEmpty else { return StorageResponse(.conflict) }
        try await broker.markDeleted(timestamp: timestamp)
        guard try await broker.isDeleted else { return StorageResponse(.conflict) }
        if await updateAccount(head, broker: broker) == .allNotFound { return StorageResponse(.notFound) }
        return .empty(204)
    }

    // MARK: Object rows (from object servers)

    func putObject(_ head: BackendRequestHead, name: String, broker: ContainerBroker) async throws -> StorageResponse {
        let timestamp = try head.requiredTimestamp()
        guard await broker.exists else { return StorageResponse(.notFound) }
        guard let size = head.headers.integer(BackendHeader.size), size >= 0 else {
            throw SwiftError.badRequest("Missing or invalid X-Size")
        }
        try await broker.commit(ObjectRecord(
            name: name, timestamp: timestamp, size: Int64(size),
            contentType: head.headers[BackendHeader.contentType] ?? "application/octet-stream",
            etag: head.headers[BackendHeader.etag] ?? ""))
        return .empty(201)
    }

    /// An object server's batch of object rows (``ContainerUpdateBatch``): each row as a
    /// PUT or DELETE of `/a/c/o` would record it, all in one group commit.
    func applyRows(
        _ rows: Result<[ContainerUpdate], WireError>, _ head: BackendRequestHead, container: String, broker: ContainerBroker
    ) async throws -> StorageResponse {
        guard head.object == nil, case .success(let updates) = rows, !updates.isEmpty else {
            return StorageResponse(.badRequest("Invalid \(ContainerUpdateBatch.method) body"))
        }
        guard updates.allSatisfy({ $0.account == head.account && $0.container == container }) else {
            return StorageResponse(.badRequest("\(ContainerUpdateBatch.method) rows for another container"))
        }
        guard await broker.exists else { return StorageResponse(.notFound) }
        try await broker.commit(updates.map { update in
            switch update.operation {
            case .put:
                ObjectRecord(name: update.object, timestamp: update.timestamp, size: Int64(update.sizeBytes),
                             contentType: update.contentType, etag: update.etag)
            case .delete:
                .tombstone(name: update.object, timestamp: update.timestamp)
            }
        })
        return .empty(201)
    }

    /// The rows of a batch body; a failure when it is too large, breaks off or does not decode.
    static func rows(in body: ChunkStream?) async -> Result<[ContainerUpdate], WireError> {
        guard let bytes = try? await body?.collect(upTo: 4 << 20) else {
            return .failure(.invalidValue(field: "body"))
        }
        do throws(WireError) {
            return .success(try ContainerUpdateBatch.decode(bytes))
        } catch {
            return .failure(error)
        }
    }

    func deleteObject(_ head: BackendRequestHead, name: String, broker: ContainerBroker) async throws -> StorageResponse {
        let timestamp = try head.requiredTimestamp()
        guard await broker.exists else { return StorageResponse(.notFound) }
        try await broker.commit(.tombstone(name: name, timestamp: timestamp))
        return .empty(204)
    }

    // MARK: Internals

    /// The container's info, or nil when it was never created here or is deleted.
    func liveInfo(_ broker: ContainerBroker) async throws -> ContainerInfo? {
        guard await broker.exists else { return nil }
        let info = try await broker.info()
        return info.isDeleted ? nil : info
    }

    func listingFormat(_ head: BackendRequestHead) throws(SwiftError) -> ListingFormat {
        try ListingFormat.negotiate(query: head.query["format"], accept: head.headers["Accept"])
    }

    /// Swift's `gen_resp_headers` plus the stored metadata.
    static func headers(_ info: ContainerInfo) -> HeaderFields {
        var headers: HeaderFields = [
            "X-Container-Object-Count": String(info.objectCount),
            "X-Container-Bytes-Used": String(info.bytesUsed),
            "X-Timestamp": info.createdAt.normal,
            "X-PUT-Timestamp": info.putTimestamp.normal,
            BackendHeader.backendTimestamp: info.createdAt.internal,
            "X-Backend-PUT-Timestamp": info.putTimestamp.internal,
            "X-Backend-DELETE-Timestamp": info.deleteTimestamp.internal,
            "X-Backend-Status-Changed-At": info.statusChangedAt.internal,
            BackendHeader.storagePolicyIndex: "0",
            BackendHeader.storagePolicy: BackendHeader.defaultPolicyName,
        ]
        for (name, value) in info.metadata.visible.sorted(by: { $0.key < $1.key }) { headers.add(name, value) }
        return headers
    }

    /// The metadata a PUT or POST stores: `X-Container-Meta-*` (checked against Swift's
    /// limits), sysmeta and ``savedHeaders``, by title-cased header name. An empty value
    /// removes its key.
    static func metadata(in head: BackendRequestHead) throws(SwiftError) -> [String: String] {
        _ = try MetadataRules.userMetadata(in: head.headers.map { ($0.name, $0.value) }, target: .container)
        var metadata: [String: String] = [:]
        for field in head.headers {
            let name = field.name.lowercased()
            if name.hasPrefix("x-container-meta-") || name.hasPrefix("x-container-sysmeta-") || savedHeaders.contains(name) {
                metadata[name.headerTitleCased] = field.value
            }
        }
        return metadata
    }
}
