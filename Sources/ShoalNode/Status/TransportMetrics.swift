import Metrics
import ShoalPorts
import Synchronization

/// The cluster transport's counters on `/metrics`. The transport keeps its own lock-free
/// counters (``TransportStatistics``); each scrape adds what they grew by since the last
/// one to these Prometheus counters.
public final class TransportMetrics: Sendable {
    /// One Prometheus counter and the statistic it follows.
    private struct Series: Sendable {
        let counter: Counter
        let value: @Sendable (TransportStatistics) -> Int

        init(_ label: String, _ dimensions: [(String, String)] = [], _ value: @escaping @Sendable (TransportStatistics) -> Int) {
            counter = Counter(label: label, dimensions: dimensions)
            self.value = value
        }
    }

    private let series: [Series] = [
        Series("shoal_transport_messages_total", [("direction", "in")]) { $0.messagesIn },
        Series("shoal_transport_messages_total", [("direction", "out")]) { $0.messagesOut },
        Series("shoal_transport_bytes_total", [("direction", "in")]) { $0.bytesIn },
        Series("shoal_transport_bytes_total", [("direction", "out")]) { $0.bytesOut },
        // Bodies sent inside their head's message (a small object's PUT or GET).
        Series("shoal_transport_inline_bodies_total") { $0.inlineBodies },
        Series("shoal_transport_sealed_bodies_total") { $0.sealedBodies },
        // Requests a node made to itself, answered without the wire.
        Series("shoal_transport_in_process_requests_total") { $0.inProcessRequests },
        Series("shoal_transport_undeliverable_total") { $0.undeliverable },
        Series("shoal_transport_late_responses_total") { $0.lateResponses },
        Series("shoal_transport_dropped_total", [("reason", "malformed")]) { $0.droppedMalformed },
        Series("shoal_transport_dropped_total", [("reason", "oneway-buffer")]) { $0.droppedOneway },
        Series("shoal_transport_rejected_handshakes_total") { $0.rejectedHandshakes },
        Series("shoal_transport_stray_stream_messages_total") { $0.strayStreamMessages },
    ]
    private let last = Mutex(TransportStatistics())

    public init() {}

    /// Brings the counters up to `current` (the transport's statistics now).
    public func observe(_ current: TransportStatistics) {
        let previous = last.withLock { last in
            defer { last = current }
            return last
        }
        for one in series {
            let grown = one.value(current) - one.value(previous)
            if grown > 0 { one.counter.increment(by: grown) }
        }
    }
}
