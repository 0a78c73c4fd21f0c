import Synchronization

/// Counters of one transport, read by metrics and tests through `statistics`.
public struct TransportStatistics: Sendable, Equatable {
    /// Messages (header + payload) received and sent by the wire.
    public var messagesIn = 0
    public var messagesOut = 0
    /// Payload bytes received and sent by the wire.
    public var bytesIn = 0
    public var bytesOut = 0
    /// Frames from peers that did not decode (bad header, wrong frame count); dropped.
    public var droppedMalformed = 0
    /// Clients refused at the handshake (wrong CURVE key).
    public var rejectedHandshakes = 0
    /// Messages the wire could not deliver (peer down, queue full, requester gone).
    public var undeliverable = 0
    /// One-way messages dropped on arrival (no handler, handler's buffer full).
    public var droppedOneway = 0
    /// Responses that arrived after their request had timed out or failed.
    public var lateResponses = 0
    /// Stream messages for no known stream, and protocol violations by peers.
    public var strayStreamMessages = 0
    /// The most chunks any one incoming body held buffered at once (never above the window).
    public var maxBufferedChunks = 0
    /// Requests this node made to itself, answered without the wire.
    public var inProcessRequests = 0
    /// Request and response bodies sent inside their head's message (``InlineBody``).
    public var inlineBodies = 0
    /// Request bodies sent sealed over a peer's bulk lane (``SealedBody``).
    public var sealedBodies = 0

    public init() {}
}

/// The live counters behind ``TransportStatistics``; lock-free so the I/O thread and the
/// engine can bump them on every message.
public final class TransportCounters: Sendable {
    public let messagesIn = Atomic<Int>(0)
    public let messagesOut = Atomic<Int>(0)
    public let bytesIn = Atomic<Int>(0)
    public let bytesOut = Atomic<Int>(0)
    public let droppedMalformed = Atomic<Int>(0)
    public let rejectedHandshakes = Atomic<Int>(0)
    public let undeliverable = Atomic<Int>(0)
    public let droppedOneway = Atomic<Int>(0)
    public let lateResponses = Atomic<Int>(0)
    public let strayStreamMessages = Atomic<Int>(0)
    public let maxBufferedChunks = Atomic<Int>(0)
    public let inProcessRequests = Atomic<Int>(0)
    public let inlineBodies = Atomic<Int>(0)
    public let sealedBodies = Atomic<Int>(0)

    public init() {}

    /// Raises ``maxBufferedChunks`` to `value` if it is higher.
    public func noteBuffered(_ value: Int) {
        var current = maxBufferedChunks.load(ordering: .relaxed)
        while value > current {
            let (exchanged, original) = maxBufferedChunks.compareExchange(
                expected: current, desired: value, ordering: .relaxed
            )
            if exchanged { return }
            current = original
        }
    }

    public func snapshot() -> TransportStatistics {
        var result = TransportStatistics()
        result.messagesIn = messagesIn.load(ordering: .relaxed)
        result.messagesOut = messagesOut.load(ordering: .relaxed)
        result.bytesIn = bytesIn.load(ordering: .relaxed)
        result.bytesOut = bytesOut.load(ordering: .relaxed)
        result.droppedMalformed = droppedMalformed.load(ordering: .relaxed)
        result.rejectedHandshakes = rejectedHandshakes.load(ordering: .relaxed)
        result.undeliverable = undeliverable.load(ordering: .relaxed)
        result.droppedOneway = droppedOneway.load(ordering: .relaxed)
        result.lateResponses = lateResponses.load(ordering: .relaxed)
        result.strayStreamMessages = strayStreamMessages.load(ordering: .relaxed)
        result.maxBufferedChunks = maxBufferedChunks.load(ordering: .relaxed)
        result.inProcessRequests = inProcessRequests.load(ordering: .relaxed)
        result.inlineBodies = inlineBodies.load(ordering: .relaxed)
        result.sealedBodies = sealedBodies.load(ordering: .relaxed)
        return result
    }
}

extension Atomic where Value == Int {
    /// Adds without caring about ordering: for statistics only.
    @inlinable
    public func bump(_ amount: Int = 1) { wrappingAdd(amount, ordering: .relaxed) }
}
