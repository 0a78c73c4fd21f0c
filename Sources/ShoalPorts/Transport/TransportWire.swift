import ShoalCore

/// Where a wire message goes: to the node listening at an address (the requesting side),
/// or back along the connection a request arrived on (the answering side).
public enum WireDestination: Hashable, Sendable {
    /// The node listening at this address (a DEALER on ZeroMQ).
    case peer(ClusterAddress)
    /// The connection identified by this route (the ROUTER's routing id on ZeroMQ).
    case route([UInt8])
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
}
