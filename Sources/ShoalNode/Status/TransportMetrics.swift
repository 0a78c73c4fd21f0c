import Metrics
import ShoalPorts
import Synchronization

/// The cluster transport's counters on `/metrics`. The transport keeps its own lock-free
/// counters (``TransportStatistics``); each scrape adds what they grew by since the last
/// one to these Prometheus counters.
public final class TransportMetrics: Sendable {
    private struct Counters: Sendable {
        let messagesIn = Counter(label: "shoal_transport_messages_total", dimensions: [("direction", "in")])
        let messagesOut = Counter(label: "shoal_transport_messages_total", dimensions: [("direction", "out")])
        let bytesIn = Counter(label: "shoal_transport_bytes_total", dimensions: [("direction", "in")])
        let bytesOut = Counter(label: "shoal_transport_bytes_total", dimensions: [("direction", "out")])
        /// Bodies sent inside their head's message (a small object's PUT or GET).
        let inlineBodies = Counter(label: "shoal_transport_inline_bodies_total")
        /// Requests a node made to itself, answered without the wire.
        let inProcess = Counter(label: "shoal_transport_in_process_requests_total")
        let undeliverable = Counter(label: "shoal_transport_undeliverable_total")
        let lateResponses = Counter(label: "shoal_transport_late_responses_total")
        let droppedMalformed = Counter(label: "shoal_transport_dropped_total", dimensions: [("reason", "malformed")])
        let droppedOneway = Counter(label: "shoal_transport_dropped_total", dimensions: [("reason", "oneway-buffer")])
        let rejectedHandshakes = Counter(label: "shoal_transport_rejected_handshakes_total")
        let strayStreamMessages = Counter(label: "shoal_transport_stray_stream_messages_total")
    }

    private let counters = Counters()
    private let last = Mutex(TransportStatistics())

    public init() {}

    /// Brings the counters up to `current` (the transport's statistics now).
    public func observe(_ current: TransportStatistics) {
        let previous = last.withLock { last in
            defer { last = current }
            return last
        }
        func add(_ counter: Counter, _ path: KeyPath<TransportStatistics, Int>) {
            let grown = current[keyPath: path] - previous[keyPath: path]
            if grown > 0 { counter.increment(by: grown) }
        }
        add(counters.messagesIn, \.messagesIn)
        add(counters.messagesOut, \.messagesOut)
        add(counters.bytesIn, \.bytesIn)
        add(counters.bytesOut, \.bytesOut)
        add(counters.inlineBodies, \.inlineBodies)
        add(counters.inProcess, \.inProcessRequests)
        add(counters.undeliverable, \.undeliverable)
        add(counters.lateResponses, \.lateResponses)
        add(counters.droppedMalformed, \.droppedMalformed)
        add(counters.droppedOneway, \.droppedOneway)
        add(counters.rejectedHandshakes, \.rejectedHandshakes)
        add(counters.strayStreamMessages, \.strayStreamMessages)
    }
}
