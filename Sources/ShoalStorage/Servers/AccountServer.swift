import Logging
import ShoalCore
import ShoalPorts
import ShoalSQLite
import ShoalSwiftAPI

/// OpenStack Swift's account server (`swift/account/server.py`) for this node's devices:
/// one ``AccountBroker`` (SQLite) per account replica. Accounts are PUT, POST, HEAD,
/// listed (GET) and DELETEd by the proxy; container servers and the ``ContainerUpdater``
/// PUT container rows, which need the account to exist (404 otherwise); other replicas'
/// ``DatabaseReplicator``s send `REPLICATE` (``ReplicationBody``).
public struct AccountServer: BackendServer {
    let devicePaths: [DeviceID: String]
    let layout: StorageLayout
    let brokers: BrokerCache<AccountBroker>
    let logger: Logger
    /// The free space a write must leave on the device (Swift's `fallocate_reserve`).
    let reserve: SpaceReserve

    public init(
        devicePaths: [DeviceID: String], layout: StorageLayout, executor: SQLiteExecutor, logger: Logger,
        openBrokerLimit: Int = 256, reserve: SpaceReserve = .none
    ) {
        self.reserve = reserve
        self.devicePaths = devicePaths
        self.layout = layout
        self.brokers = BrokerCache(capacity: openBrokerLimit, make: { AccountBroker(path: $0, executor: executor) },
                                   close: { await $0.close() })
        self.logger = logger
    }

    public func handle(_ head: BackendRequestHead, body: ChunkStream?) async -> StorageResponse {
        let replication = head.method == ReplicationBody.method ? await ReplicationBody(collecting: body) : nil
        if replication == nil { await drain(body) }
        guard let devicePath = devicePaths[head.device] else { return .insufficientStorage }
        if head.method == "PUT" || head.method == ReplicationBody.method, !reserve.allows(writing: 0, under: devicePath) {
            return .deviceFull(head, logger: logger)
        }
        guard head.object == nil else { return StorageResponse(.badRequest("Invalid path: \(head.path)")) }
        let broker = await brokers.broker(at: layout.accountDatabase(
            devicePath: devicePath, partition: head.partition, account: head.account))
        do {
            if let replication { return try await replication.respond(broker: broker) }
            if let container = head.container {
                guard head.method == "PUT" else { return StorageResponse(.methodNotAllowed, headers: ["Allow": "PUT"]) }
                return try await putContainer(head, name: container, broker: broker)
            }
            switch head.method {
            case "PUT": return try await put(head, broker: broker)
            case "HEAD": return try await self.head(head, broker: broker)
            case "GET": return try await get(head, broker: broker)
            case "POST": return try await post(head, broker: broker)
            case "DELETE": return try await delete(head, broker: broker)
            default: return StorageResponse(.methodNotAllowed, headers: ["Allow": "DELETE, GET, HEAD, POST, PUT"])
            }
        } catch {
            return .failure(error, role: "account", head: head, logger: logger)
        }
    }

    func put(_ head: BackendRequestHead, broker: AccountBroker) async throws -> StorageResponse {
        let timestamp = try head.requiredTimestamp()
        let metadata = try Self.metadata(in: head)
        let created: Bool
        if await broker.exists {
            let info = try await broker.info()
            if info.statusDeleted { return StorageResponse(.forbidden, headers: ["X-Account-Status": "Deleted"]) }
            created = info.isDeleted
            try await broker.updatePutTimestamp(timestamp)
            if try await broker.isDeleted { return StorageResponse(.conflict) }
        } else {
            do {
                try await broker.create(account: head.account, putTimestamp: timestamp)
                created = true
            } catch BrokerError.alreadyExists {
                try await broker.updatePutTimestamp(timestamp)
                created = false
            }
        }
        if !metadata.isEmpty { try await broker.updateMetadata(metadata, timestamp: timestamp) }
        return .empty(created ? 201 : 202)
    }

    func head(_ head: BackendRequestHead, broker: AccountBroker) async throws -> StorageResponse {
        let format = try ListingFormat.negotiate(query: head.query["format"], accept: head.headers["Accept"])
        switch try await state(broker) {
        case .missing: return StorageResponse(.notFound)
        case .deleted: return StorageResponse(.notFound, headers: ["X-Account-Status": "Deleted"])
        case .live(let info):
            var headers = Self.headers(info)
            headers["Content-Type"] = format.contentType
            return .empty(204, headers: headers)
        }
    }

    func get(_ head: BackendRequestHead, broker: AccountBroker) async throws -> StorageResponse {
        let format = try ListingFormat.negotiate(query: head.query["format"], accept: head.headers["Accept"])
        let query = try ListingQuery(queryItems: head.query.map { ($0.key, $0.value) })
        switch try await state(broker) {
        case .missing: return StorageResponse(.notFound)
        case .deleted: return StorageResponse(.notFound, headers: ["X-Account-Status": "Deleted"])
        case .live(let info):
            let items = try await broker.list(query: query)
            let headers = Self.headers(info)
            if format == .plain && items.isEmpty { return .empty(204, headers: headers) }
            return StorageResponse(status: 200, headers: headers,
                                   text: ListingRenderer.render(items, format: format, account: info.account),
                                   contentType: format.contentType)
        }
    }

    func post(_ head: BackendRequestHead, broker: AccountBroker) async throws -> StorageResponse {
        let timestamp = try head.requiredTimestamp()
        let metadata = try Self.metadata(in: head)
        guard case .live = try await state(broker) else { return StorageResponse(.notFound) }
        if !metadata.isEmpty { try await broker.updateMetadata(metadata, timestamp: timestamp) }
        return .empty(204)
    }

    func delete(_ head: BackendRequestHead, broker: AccountBroker) async throws -> StorageResponse {
        let timestamp = try head.requiredTimestamp()
        guard case .live = try await state(broker) else { return StorageResponse(.notFound) }
        try await broker.markDeleted(timestamp: timestamp)
        return .empty(204, headers: ["X-Account-Status": "Deleted"])
    }

    /// A container server's report of one container (Swift's `put_container`).
    func putContainer(_ head: BackendRequestHead, name: String, broker: AccountBroker) async throws -> StorageResponse {
        guard case .live = try await state(broker) else { return StorageResponse(.notFound) }
        func timestamp(_ header: String) throws(SwiftError) -> SwiftTimestamp {
            guard let text = head.headers[header], let value = SwiftTimestamp(text) else {
                throw .badRequest("Missing or invalid \(header)")
            }
            return value
        }
        let put = try timestamp(BackendHeader.putTimestamp)
        let deleted = try timestamp(BackendHeader.deleteTimestamp)
        try await broker.putContainer(
            name: name, putTimestamp: put, deleteTimestamp: deleted,
            objectCount: Int64(head.headers.integer(BackendHeader.objectCount) ?? 0),
            bytesUsed: Int64(head.headers.integer(BackendHeader.bytesUsed) ?? 0))
        return .empty(deleted > put ? 204 : 201)
    }

    // MARK: Internals

    enum State {
        case missing
        case deleted
        case live(AccountInfo)
    }

    func state(_ broker: AccountBroker) async throws -> State {
        guard await broker.exists else { return .missing }
        let info = try await broker.info()
        return info.isDeleted ? .deleted : .live(info)
    }

    static func headers(_ info: AccountInfo) -> HeaderFields {
        var headers: HeaderFields = [
            "X-Account-Container-Count": String(info.containerCount),
            "X-Account-Object-Count": String(info.objectCount),
            "X-Account-Bytes-Used": String(info.bytesUsed),
            "X-Timestamp": info.createdAt.normal,
            "X-PUT-Timestamp": info.putTimestamp.normal,
            BackendHeader.backendTimestamp: info.createdAt.internal,
            "X-Backend-PUT-Timestamp": info.putTimestamp.internal,
            "X-Backend-DELETE-Timestamp": info.deleteTimestamp.internal,
            "X-Backend-Status-Changed-At": info.statusChangedAt.internal,
        ]
        for (name, value) in info.metadata.visible.sorted(by: { $0.key < $1.key }) { headers.add(name, value) }
        return headers
    }

    /// `X-Account-Meta-*` (checked against Swift's limits) and sysmeta, by title-cased name.
    static func metadata(in head: BackendRequestHead) throws(SwiftError) -> [String: String] {
        _ = try MetadataRules.userMetadata(in: head.headers.map { ($0.name, $0.value) }, target: .account)
        var metadata: [String: String] = [:]
        for field in head.headers {
            let name = field.name.lowercased()
            if name.hasPrefix("x-account-meta-") || name.hasPrefix("x-account-sysmeta-") {
                metadata[name.headerTitleCased] = field.value
            }
        }
        return metadata
    }
}
