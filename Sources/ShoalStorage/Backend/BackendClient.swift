import ShoalCore
import ShoalPorts

/// Sends Swift backend requests to the account, container and object servers of other
/// nodes (or this one) over the cluster transport. Used by the proxy and by servers that
/// update each other (object → container, container → account).
public struct BackendClient: Sendable {
    public let transport: any ClusterTransport
    /// How long to wait for a response head (Swift's `node_timeout`/`conn_timeout`).
    public var timeout: Duration

    public init(transport: any ClusterTransport, timeout: Duration = .seconds(10)) {
        self.transport = transport
        self.timeout = timeout
    }

    /// Sends `head` (and `body`) to the node at `address`; the answer's body streams.
    /// Throws when the node could not be reached or did not answer in time, or when its
    /// answer does not decode.
    public func send(
        _ head: BackendRequestHead, on channel: Envelope.Channel, to address: ClusterAddress,
        body: ChunkStream? = nil, timeout: Duration? = nil
    ) async throws(TransportError) -> StorageResponse {
        // A small object's body then travels in the request's own message.
        let hint = body == nil ? nil : head.headers.integer("Content-Length")
        let request = TransportRequest(channel: channel, head: head.wireBytes(), body: body, bodyLengthHint: hint)
        let response = try await transport.request(request, to: address, timeout: timeout ?? self.timeout)
        guard response.status == .ok else {
            throw .remote(status: response.status, message: String(decoding: response.head, as: UTF8.self))
        }
        do {
            let decoded = try BackendResponseHead(wireBytes: response.head)
            return StorageResponse(status: decoded.status, headers: decoded.headers, body: response.body)
        } catch {
            throw .protocolViolation("backend response head: \(error)")
        }
    }
}

/// A server role's request handler: an account, container or object server.
public protocol BackendServer: Sendable {
    /// Answers one backend request. A request body, if any, must be consumed or dropped
    /// before returning; the response body streams back to the caller.
    func handle(_ head: BackendRequestHead, body: ChunkStream?) async -> StorageResponse
}

/// Puts a ``BackendServer`` on a transport channel: decodes request heads, encodes answers.
public struct BackendTransportHandler: TransportHandler {
    public let server: any BackendServer

    public init(server: any BackendServer) {
        self.server = server
    }

    public func receive(oneway payload: [UInt8], on channel: Envelope.Channel) async {}

    public func respond(to request: TransportRequest) async -> TransportResponse {
        let head: BackendRequestHead
        do {
            head = try BackendRequestHead(wireBytes: request.head)
        } catch {
            return TransportResponse(status: .badRequest, head: Array("undecodable backend request: \(error)".utf8))
        }
        let response = await server.handle(head, body: request.body)
        let responseHead = BackendResponseHead(status: response.status, headers: response.headers)
        let hint = response.body == nil ? nil : response.headers.integer("Content-Length")
        return TransportResponse(status: .ok, head: responseHead.wireBytes(), body: response.body, bodyLengthHint: hint)
    }
}
