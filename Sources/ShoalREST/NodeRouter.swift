import Foundation
import Hummingbird
import Prometheus
import ShoalCore
import ShoalIdentity
import ShoalNode

/// What the REST layer needs from the node to answer its own routes.
public struct RESTContext: Sendable {
    public let status: any ClusterStatusProvider
    public let metrics: PrometheusCollectorRegistry
    /// `/info` sections, keyed as OpenStack Swift keys them (`swift`, `slo`, `tempurl`, ...).
    public let capabilities: [String: JSONValue]
    /// The Swift API (`/auth/v1.0`, `/v1/...`), when this node serves object storage.
    public let swift: SwiftAPIContext?
    /// This node's replication progress (`/cluster/replication`), when it stores data.
    public let replication: (@Sendable () -> ReplicationStatus)?
    /// The Identity v3 API (`/identity/...`), when this node serves it.
    public let identity: IdentityAPI?
    /// Brings figures kept outside the registry (the transport's counters) up to date
    /// before `/metrics` is written.
    public let refreshMetrics: (@Sendable () -> Void)?

    public init(status: any ClusterStatusProvider, metrics: PrometheusCollectorRegistry, capabilities: [String: JSONValue],
                swift: SwiftAPIContext? = nil, replication: (@Sendable () -> ReplicationStatus)? = nil,
                identity: IdentityAPI? = nil, refreshMetrics: (@Sendable () -> Void)? = nil) {
        self.status = status
        self.metrics = metrics
        self.capabilities = capabilities
        self.swift = swift
        self.replication = replication
        self.identity = identity
        self.refreshMetrics = refreshMetrics
    }
}

/// Builds the router every node serves. Later APIs (Swift, Keystone, Glance, Nova) add
/// their routes to the same router.
public enum NodeRouter {
    public static func build(_ context: RESTContext) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: TransactionMiddleware())
        router.add(middleware: RequestMetricsMiddleware())
        if let swift = context.swift { router.add(middleware: SwiftAPIMiddleware(swift)) }
        if let identity = context.identity {
            router.add(middleware: IdentityAPIMiddleware(api: identity, defaultHost: context.swift?.defaultHost ?? "127.0.0.1:8080"))
        }
        addNodeRoutes(to: router, context)
        return router
    }

    static func addNodeRoutes(to router: Router<BasicRequestContext>, _ context: RESTContext) {
        // Swift's healthcheck middleware answers a plain "OK".
        router.on("/healthcheck", method: .get) { _, _ in
            textResponse("OK")
        }
        router.on("/healthcheck", method: .head) { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain", .contentLength: "2"])
        }
        router.get("/info") { _, _ in
            try jsonResponse(context.capabilities)
        }
        router.get("/metrics") { _, _ in
            context.refreshMetrics?()
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: context.metrics.emitToBuffer()))
            )
        }
        router.get("/cluster") { _, _ in
            try jsonResponse(await context.status.clusterStatus())
        }
        if let replication = context.replication {
            router.get("/cluster/replication") { _, _ in try jsonResponse(replication()) }
        }
    }

    static func textResponse(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
