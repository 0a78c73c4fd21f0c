/// Renders a ``ClusterStatus`` as the plain-text tables `shoal status` prints.
public enum StatusTable {
    public static func render(_ status: ClusterStatus) -> String {
        var out = "Cluster as seen by \(status.node) (secret \(status.secretFingerprint))\n\n"
        let members = status.members.sorted { $0.id < $1.id }
        let alive = members.filter { $0.status == "alive" }.count
        out += "Members: \(members.count) (\(alive) alive)\n"
        out += table(
            header: ["NODE", "STATUS", "INC", "ZONE", "CLUSTER", "REST"],
            rows: members.map { [$0.id, $0.status, String($0.incarnation), $0.zone, $0.clusterAddress, $0.restURL] }
        )
        let ring = status.ring
        out += "\nRing: version \(ring.version), checksum \(ring.checksum.prefix(16))…, "
        out += "2^\(ring.partPower) partitions × \(ring.replicas) replicas"
        out += ring.moving > 0 ? ", \(ring.moving) moving one replica\n" : "\n"
        out += table(
            header: ["DEVICE", "NODE", "ZONE", "WEIGHT", "PARTITIONS", "BALANCE", "STATE"],
            rows: ring.devices.map {
                [$0.id, $0.node, $0.zone, format($0.weight), String($0.partitions), format($0.balancePercent) + "%", $0.state]
            }
        )
        if !status.joining.isEmpty { out += "Joining (active once their partitions have arrived): \(status.joining.joined(separator: ", "))\n" }
        if !status.draining.isEmpty { out += "Draining (leave once their data has moved): \(status.draining.joined(separator: ", "))\n" }
        if let replication = status.replication, !replication.isEmpty {
            let waiting = replication.reduce(0) { $0 + $1.movesWaiting }
            out += "\nReplication: \(waiting == 0 ? "no partition moves waiting" : "\(waiting) partition move(s) waiting")\n"
            out += table(
                header: ["NODE", "PASS", "MOVES WAITING", "MOVED", "LAST PASS", "ESTIMATE"],
                rows: replication.sorted { $0.node < $1.node }.map { node in
                    let done = node.running ? node.partitionsDone : node.partitions
                    return [node.node, bar(done: done, of: node.partitions) + " \(done)/\(node.partitions)",
                            String(node.movesWaiting), bytes(node.bytesMoved), format(node.lastPassSeconds) + " s",
                            node.estimateSeconds.map { "~" + format($0.rounded()) + " s" } ?? (node.running ? "…" : "idle")]
                })
        }
        return out
    }

    /// A 20-cell progress bar.
    static func bar(done: Int, of total: Int) -> String {
        let filled = total > 0 ? min(20, done * 20 / total) : 20
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled) + "]"
    }

    static func bytes(_ count: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return format((value * 10).rounded() / 10) + " " + units[unit]
    }

    /// Left-aligned columns two spaces apart.
    public static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
