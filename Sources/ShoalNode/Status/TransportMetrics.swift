import ShoalPorts

/// The cluster transport's counters on `/metrics`. The transport keeps its own lock-free
/// counters (``TransportStatistics``); each scrape adds what they grew by since the last
/// one to these Prometheus counters.
public enum TransportMetrics {
    public static func make() -> FollowedCounters<TransportStatistics> {
        FollowedCounters([
            .init("shoal_transport_messages_total", [("direction", "in")]) { $0.messagesIn },
            .init("shoal_transport_messages_total", [("direction", "out")]) { $0.messagesOut },
            .init("shoal_transport_bytes_total", [("direction", "in")]) { $0.bytesIn },
            .init("shoal_transport_bytes_total", [("direction", "out")]) { $0.bytesOut },
            // Bodies sent inside their head's message (a small object's PUT or GET).
            .init("shoal_transport_inline_bodies_total") { $0.inlineBodies },
            .init("shoal_transport_sealed_bodies_total") { $0.sealedBodies },
            // Requests a node made to itself, answered without the wire.
            .init("shoal_transport_in_process_requests_total") { $0.inProcessRequests },
            .init("shoal_transport_undeliverable_total") { $0.undeliverable },
            .init("shoal_transport_late_responses_total") { $0.lateResponses },
            .init("shoal_transport_dropped_total", [("reason", "malformed")]) { $0.droppedMalformed },
            .init("shoal_transport_dropped_total", [("reason", "oneway-buffer")]) { $0.droppedOneway },
            .init("shoal_transport_rejected_handshakes_total") { $0.rejectedHandshakes },
            .init("shoal_transport_stray_stream_messages_total") { $0.strayStreamMessages },
        ])
    }
}
