import ShoalCore

/// Why a call to a peer failed.
public enum TransportError: Error, Equatable, Sendable {
    /// The peer could not be reached (not connected, refused, or its queue is full).
    case unreachable(ClusterAddress)
    /// No response within the timeout.
    case timedOut
    /// This transport has been shut down.
    case closed
    /// The peer answered with an error status.
    case remote(status: Envelope.Status, message: String)
    /// The peer broke the protocol (a malformed frame, a chunk for no stream, ...).
    case protocolViolation(String)
    /// A streamed body was abandoned by the other side or went idle for too long.
    case streamAborted(String)
    /// A body was larger than the caller allowed.
    case bodyTooLarge(limit: Int)
}

/// A request to a peer: a small head (a service's encoded message) and an optional body
/// that streams in chunks under credit-based flow control.
public struct TransportRequest: Sendable {
    public var channel: Envelope.Channel
    public var head: [UInt8]
    public var body: ChunkStream?
    /// The body's length when the sender knows it (a Content-Length): a body this small
    /// (``TransportEngine/Configuration/inlineBodyBytes``) travels in the head's message.
    public var bodyLengthHint: Int?

    public init(channel: Envelope.Channel, head: [UInt8], body: ChunkStream? = nil, bodyLengthHint: Int? = nil) {
        self.channel = channel
        self.head = head
        self.body = body
        self.bodyLengthHint = bodyLengthHint
    }
}

/// The answer to a ``TransportRequest``: a status, a head, and an optional streamed body.
public struct TransportResponse: Sendable {
    public var status: Envelope.Status
    public var head: [UInt8]
    public var body: ChunkStream?
    /// As ``TransportRequest/bodyLengthHint``: a small body comes back in the head's message.
    public var bodyLengthHint: Int?

    public init(status: Envelope.Status = .ok, head: [UInt8] = [], body: ChunkStream? = nil, bodyLengthHint: Int? = nil) {
        self.status = status
        self.head = head
        self.body = body
        self.bodyLengthHint = bodyLengthHint
    }
}

/// A service's side of a channel: what it does with the messages that arrive on it.
public protocol TransportHandler: Sendable {
    /// A one-way message (gossip). Must not block for long: it runs on the receive path.
    func receive(oneway payload: [UInt8], on channel: Envelope.Channel) async
    /// A request; its body, if any, must be consumed (or dropped) before the handler returns.
    func respond(to request: TransportRequest) async -> TransportResponse
}

/// How nodes talk to each other. Implemented over ZeroMQ (`ShoalZeroMQ`) and in memory
/// (`ShoalSimulation`) with the same semantics, so services are written once.
///
/// Semantics every implementation keeps:
/// - `send` is best effort and never waits for the peer: it returns false when the message
///   could not be queued (peer unknown, not connected, or its queue full). Gossip accepts loss.
/// - `request` delivers a head (and body) and waits for the response head up to `timeout`
///   (counted from the end of the request body, whose stalls the stream idle timeout bounds);
///   a response body then streams with credit, so memory stays bounded at both ends.
/// - Messages on one channel from one peer arrive in the order they were sent.
public protocol ClusterTransport: Sendable {
    /// The address peers reach this node at.
    var localAddress: ClusterAddress { get }

    /// Sends a one-way message; false when it could not be queued.
    @discardableResult
    func send(_ payload: [UInt8], on channel: Envelope.Channel, to peer: ClusterAddress) async -> Bool

    /// Sends a request and waits for the response head.
    func request(_ request: TransportRequest, to peer: ClusterAddress, timeout: Duration) async throws(TransportError) -> TransportResponse

    /// Routes messages of `channel` to `handler`, replacing any earlier one.
    func register(_ handler: any TransportHandler, for channel: Envelope.Channel) async

    /// Stops sending and receiving; outstanding requests fail with `.closed`.
    func shutdown() async
}
