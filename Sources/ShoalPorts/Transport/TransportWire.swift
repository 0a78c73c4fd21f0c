import ShoalCore

/// Where a wire message goes: to the node listening at an address (the requesting side),
/// or back along the connection a request arrived on (the answering side).
public enum WireDestination: Hashable, Sendable {
    /// The node listening at this address (a DEALER on ZeroMQ).
    case peer(ClusterAddress)
    /// The connection identified by this route (the ROUTER's routing id on ZeroMQ).
    case route([UInt8])
    /// The bulk lane of the node listening at this address: sealed body chunks and their end
    /// only (``SealedBody``), on a connection of their own.
    case bulk(ClusterAddress)
}

/// The bottom half of a cluster transport: moves one envelope and its payload to a
/// destination, in order per destination. ``TransportEngine`` is written against it;
/// the ZeroMQ adapter and the in-memory network each implement it.
///
/// A wire that learns later that a queued message could not be delivered tells the engine
/// through ``TransportEngine/undeliverable(_:to:error:)``.
public protocol TransportWire: Sendable {
    /// Queues a message without waiting. `force` queues it even past the outbound bound
    /// (small control messages: credit, end, abort, error replies). False when it could
    /// not be queued (closed, bound reached, destination known to be down).
    func post(_ envelope: Envelope, payload: [UInt8], to destination: WireDestination, force: Bool) -> Bool

    /// Queues a message, suspending while the outbound queue is full. False when it could
    /// not be queued (closed, destination known to be down).
    func deliver(_ envelope: Envelope, payload: [UInt8], to destination: WireDestination) async -> Bool

    /// Where this node's bulk lane listens (what it answers peers that ask); nil when the
    /// wire has none, and then the engine never sends to one either.
    var bulkPort: UInt16? { get }

    /// From now on, `.bulk(peer)` goes to `port` on the peer's host.
    func openBulkLane(to peer: ClusterAddress, port: UInt16)
}

extension TransportWire {
    public var bulkPort: UInt16? { nil }
    public func openBulkLane(to peer: ClusterAddress, port: UInt16) {}
}
