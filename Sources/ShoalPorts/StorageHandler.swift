import ShoalCore

/// A Swift API request as the storage stack sees it: the method, the decoded account,
/// container and object names, query parameters, headers and a streamed body. The REST
/// layer builds one from HTTP; the proxy and the middlewares (auth, large objects,
/// TempURL, versioning, ...) pass it down, the way Swift's WSGI pipeline passes `environ`.
public struct StorageRequest: Sendable {
    public var method: String
    public var account: String
    public var container: String?
    public var object: String?
    public var query: [String: String]
    public var headers: HeaderFields
    public var body: ChunkStream?
    /// Facts the pipeline learns on the way down (the authenticated identity, the origin
    /// of a subrequest such as `SLO` or `versioned_writes`), like Swift's `environ` keys.
    public var environment: [String: String]

    public init(method: String, account: String, container: String? = nil, object: String? = nil,
                query: [String: String] = [:], headers: HeaderFields = HeaderFields(), body: ChunkStream? = nil,
                environment: [String: String] = [:]) {
        self.method = method
        self.account = account
        self.container = container
        self.object = object
        self.query = query
        self.headers = headers
        self.body = body
        self.environment = environment
    }

    /// `/v1/account[/container[/object]]` (unencoded), for logs and signatures.
    public var path: String {
        var path = "/v1/\(account)"
        if let container { path += "/\(container)" }
        if let object { path += "/\(object)" }
        return path
    }
}

/// The answer to a ``StorageRequest``: an HTTP status, headers and an optional streamed body.
public struct StorageResponse: Sendable {
    public var status: Int
    public var headers: HeaderFields
    public var body: ChunkStream?

    public init(status: Int, headers: HeaderFields = HeaderFields(), body: ChunkStream? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// One stage of the Swift API pipeline: the proxy at the bottom, middlewares wrapping it.
public protocol StorageHandler: Sendable {
    func handle(_ request: StorageRequest) async -> StorageResponse
}

/// What the proxy needs to know about the cluster for one request: the ring, and which
/// nodes are down right now (SWIM's view) so it goes to handoffs at once instead of
/// waiting for timeouts.
public struct ClusterSnapshot: Sendable {
    public let ring: Ring
    public let localNode: NodeID
    /// Nodes SWIM holds dead (suspects still count as up: they usually are).
    public let downNodes: Set<NodeID>

    public init(ring: Ring, localNode: NodeID, downNodes: Set<NodeID> = []) {
        self.ring = ring
        self.localNode = localNode
        self.downNodes = downNodes
    }

    public func isDown(_ device: DeviceRecord) -> Bool { downNodes.contains(device.node) }
}

/// Where the proxy and the servers get a ``ClusterSnapshot``: the membership service in a
/// node, a fixed snapshot in tests.
public protocol ClusterView: Sendable {
    func snapshot() async -> ClusterSnapshot
}
