import Metrics
import ShoalMembership

/// The membership service's figures on `/metrics`.
struct MembershipMetrics: Sendable {
    let sent = Counter(label: "shoal_membership_messages_sent_total")
    let received = Counter(label: "shoal_membership_messages_received_total")
    let sendFailures = Counter(label: "shoal_membership_send_failures_total")
    let decodeFailures = Counter(label: "shoal_membership_decode_failures_total")
    /// Broadcasts this node started, and those it heard and delivered (each once).
    let broadcastsSent = Counter(label: "shoal_gossip_broadcasts_total", dimensions: [("direction", "sent")])
    let broadcastsDelivered = Counter(label: "shoal_gossip_broadcasts_total", dimensions: [("direction", "delivered")])
    let ringVersion = Gauge(label: "shoal_ring_version")
    /// Partitions with a replica moving while devices join or drain.
    let movingPartitions = Gauge(label: "shoal_ring_moving_partitions")
    let localHealth = Gauge(label: "shoal_membership_local_health")
    let members: [SWIM.Status: Gauge] = Dictionary(uniqueKeysWithValues: SWIM.Status.allCases.map {
        ($0, Gauge(label: "shoal_membership_members", dimensions: [("status", $0.description)]))
    })

    func observe(_ instance: SWIM.Instance) {
        for (status, gauge) in members { gauge.record(Int64(instance.count(of: status))) }
        localHealth.record(Int64(instance.localHealth))
    }
}
