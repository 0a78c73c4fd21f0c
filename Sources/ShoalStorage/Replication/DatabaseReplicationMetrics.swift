import Metrics

/// A database replicator's figures on `/metrics`, by `kind` (`container`, `account`), apart
/// from the object replicator's `shoal_replication_*`:
/// `shoal_db_replication_{syncs,rows_sent,rebuilds,handoffs_removed,stand_ins,failures}_total`.
struct DatabaseReplicationMetrics: Sendable {
    let kind: String

    func record(_ pass: ReplicationPass) {
        let counts = [("syncs", pass.synced), ("rows_sent", pass.rowsSent), ("rebuilds", pass.rebuilt),
                      ("handoffs_removed", pass.handoffsRemoved), ("stand_ins", pass.standIns), ("failures", pass.failures)]
        for (name, count) in counts where count > 0 {
            Counter(label: "shoal_db_replication_\(name)_total", dimensions: [("kind", kind)]).increment(by: count)
        }
    }
}
