import Foundation
import Testing
import ShoalCore
import ShoalPorts
import ShoalSQLite
@testable import ShoalStorage

/// The container and account replicators on the in-memory cluster with real SQLite: rows,
/// metadata and deletes converge on every primary, a lost replica is rebuilt whole, a
/// second pass sends nothing, and a database on a non-primary device moves to the
/// primaries and goes away only once all of them have it.
struct DatabaseReplicationTests {
    @Test func rowsOnOneReplicaReachEveryReplicaInBatches() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "docs", updateAccount: false)
            let names = ["a", "b", "c", "d", "e"]
            for (index, name) in names.enumerated() {
                try await putRow(cluster, "AUTH_test/docs/\(name)", on: 0, at: ts(10 + Int64(index)), size: 10)
            }
            try await putRow(cluster, "AUTH_test/docs/b", on: 0, at: ts(20), delete: true)
            #expect(try await listing(cluster, "AUTH_test/docs", on: 1).isEmpty)

            let replicator = DatabaseReplicator(server: cluster.nodes[0].containerServer, batchSize: 2)
            let pass = await replicator.runOnce()
            #expect(pass == ReplicationPass(synced: 2, rowsSent: 10, rebuilt: 0, handoffsRemoved: 0, failures: 0))
            for node in cluster.nodes.indices {
                #expect(try await listing(cluster, "AUTH_test/docs", on: node) == ["a", "c", "d", "e"], "node \(node)")
                let head = try await cluster.send(cluster.request("HEAD", "AUTH_test/docs", on: node))
                #expect(head.headers["X-Container-Object-Count"] == "4" && head.headers["X-Container-Bytes-Used"] == "40")
            }
            let rows = try await objectRows(cluster, "AUTH_test", "docs", on: 0)
            for node in 1..<3 { #expect(try await objectRows(cluster, "AUTH_test", "docs", on: node) == rows) }
        }
    }

    @Test func aSecondPassSendsNoRows() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "docs", updateAccount: false)
            try await putRow(cluster, "AUTH_test/docs/only-on-1", on: 1, at: ts(10))
            try await putRow(cluster, "AUTH_test/docs/only-on-2", on: 2, at: ts(11))
            for node in cluster.nodes.indices {
                try await putAccountRow(cluster, "AUTH_test/c\(node)", on: node, at: ts(Int64(node) + 1))
            }

            // The peers' high-water marks: nothing new here, nothing sent.
            #expect(await cluster.nodes[1].containerReplicator.runOnce().rowsSent == 2)
            #expect(await cluster.nodes[1].containerReplicator.runOnce().rowsSent == 0)
            #expect(await cluster.nodes[1].accountReplicator.runOnce().rowsSent == 2)
            #expect(await cluster.nodes[1].accountReplicator.runOnce().rowsSent == 0)

            // Across the cluster: rows merged on a peer are new rows there and go on once
            // (to the one peer that lacks them, and back to where they came from, which
            // ignores them); then every pass is quiet. Account rows merged unchanged keep
            // their ROWID, so they do not go back and forth either.
            #expect(await settle(cluster, \.containerReplicator) <= 3)
            #expect(await settle(cluster, \.accountReplicator) <= 3)
            let quiet = ReplicationPass(synced: 6, rowsSent: 0, rebuilt: 0, handoffsRemoved: 0, failures: 0)
            #expect(await everyNode(cluster) { await $0.containerReplicator.runOnce() } == quiet)
            #expect(await everyNode(cluster) { await $0.accountReplicator.runOnce() } == quiet)
            for node in cluster.nodes.indices {
                #expect(try await listing(cluster, "AUTH_test/docs", on: node) == ["only-on-1", "only-on-2"])
                #expect(try await listing(cluster, "AUTH_test", on: node) == ["c0", "c1", "c2"])
            }
        }
    }

    @Test func aReplicaWhoseFileWasDeletedIsRebuiltWhole() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "docs", updateAccount: false)
            for node in cluster.nodes.indices {
                try await putRow(cluster, "AUTH_test/docs/n\(node)", on: node, at: ts(10 + Int64(node)), size: 5)
            }
            let post = try await cluster.send(cluster.request(
                "POST", "AUTH_test/docs", on: 0,
                headers: [BackendHeader.timestamp: ts(30).internal, "X-Container-Meta-Color": "blue", "X-Container-Read": ".r:*"]))
            #expect(post.status == 204)
            #expect(await settle(cluster, \.containerReplicator) < 4)
            let original = try await replicationInfo(cluster, "AUTH_test", "docs", on: 0)
            let rows = try await objectRows(cluster, "AUTH_test", "docs", on: 0)

            try await removeDatabase(cluster, "AUTH_test", "docs", on: 2)
            #expect(try await cluster.send(cluster.request("HEAD", "AUTH_test/docs", on: 2)).status == 404)
            let pass = await cluster.nodes[0].containerReplicator.runOnce()
            #expect(pass.rebuilt == 1 && pass.synced == 2 && pass.rowsSent == 3 && pass.failures == 0)

            var rebuilt = try await replicationInfo(cluster, "AUTH_test", "docs", on: 2)
            #expect(rebuilt.id != original.id)
            rebuilt.id = original.id
            rebuilt.maxRow = original.maxRow
            #expect(rebuilt == original)
            #expect(try await objectRows(cluster, "AUTH_test", "docs", on: 2) == rows)
            let head = try await cluster.send(cluster.request("HEAD", "AUTH_test/docs", on: 2))
            #expect(head.headers["X-Container-Meta-Color"] == "blue" && head.headers["X-Container-Object-Count"] == "3")
        }
    }

    @Test func theAuditorQuarantinesADamagedReplicaAndReplicationRebuildsIt() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "docs", updateAccount: false)
            for node in cluster.nodes.indices {
                try await putRow(cluster, "AUTH_test/docs/n\(node)", on: node, at: ts(10 + Int64(node)), size: 5)
            }
            #expect(await settle(cluster, \.containerReplicator) < 4)
            let rows = try await objectRows(cluster, "AUTH_test", "docs", on: 0)

            // Every sound replica passes.
            for node in cluster.nodes.indices {
                let sweep = await DatabaseAuditor(server: cluster.nodes[node].containerServer).runOnce()
                #expect(sweep.databases == 1 && sweep.quarantined == 0 && sweep.errors == 0, "node \(node)")
            }

            // Rot in node 2's file: its header no longer says SQLite.
            let path = databasePath(cluster, "AUTH_test", "docs", on: 2)
            await cluster.nodes[2].containerServer.brokers.evict(path)
            let file = try #require(FileHandle(forWritingAtPath: path))
            try file.write(contentsOf: Data(repeating: 0x5A, count: 100))
            try file.close()

            let sweep = await DatabaseAuditor(server: cluster.nodes[2].containerServer).runOnce()
            #expect(sweep.quarantined == 1 && sweep.errors == 0)
            #expect(!FileManager.default.fileExists(atPath: path))
            let quarantined = cluster.folder + "/" + cluster.nodes[2].device.rawValue + "/quarantined/containers"
            #expect(try FileManager.default.contentsOfDirectory(atPath: quarantined).count == 1)
            #expect(try await cluster.send(cluster.request("HEAD", "AUTH_test/docs", on: 2)).status == 404)

            let pass = await cluster.nodes[0].containerReplicator.runOnce()
            #expect(pass.rebuilt == 1 && pass.failures == 0)
            #expect(try await objectRows(cluster, "AUTH_test", "docs", on: 2) == rows)
            #expect(await DatabaseAuditor(server: cluster.nodes[2].containerServer).runOnce().quarantined == 0)
        }
    }

    @Test func metadataAndDeletesPropagate() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "docs", updateAccount: false)
            let post = try await cluster.send(cluster.request(
                "POST", "AUTH_test/docs", on: 1, headers: [BackendHeader.timestamp: ts(5).internal, "X-Container-Meta-Color": "red"]))
            #expect(post.status == 204)
            _ = await everyNode(cluster) { await $0.containerReplicator.runOnce() }
            for node in cluster.nodes.indices {
                let head = try await cluster.send(cluster.request("HEAD", "AUTH_test/docs", on: node))
                #expect(head.headers["X-Container-Meta-Color"] == "red", "node \(node)")
            }

            let delete = try await cluster.send(cluster.request(
                "DELETE", "AUTH_test/docs", on: 2, headers: [BackendHeader.timestamp: ts(10).internal]))
            #expect(delete.status == 204)
            let accountDelete = try await cluster.send(cluster.request(
                "DELETE", "AUTH_test", on: 0, headers: [BackendHeader.timestamp: ts(11).internal]))
            #expect(accountDelete.status == 204)
            _ = await everyNode(cluster) { await $0.containerReplicator.runOnce() }
            _ = await everyNode(cluster) { await $0.accountReplicator.runOnce() }
            for node in cluster.nodes.indices {
                #expect(try await cluster.send(cluster.request("HEAD", "AUTH_test/docs", on: node)).status == 404)
                let info = try await replicationInfo(cluster, "AUTH_test", "docs", on: node)
                #expect(info.deleteTimestamp == ts(10) && info.metadata.visible.isEmpty, "node \(node)")
                let account = try await cluster.send(cluster.request("HEAD", "AUTH_test", on: node))
                #expect(account.status == 404 && account.headers["X-Account-Status"] == "Deleted", "node \(node)")
            }
            // Deleted databases still replicate: a lost one comes back deleted.
            try await removeDatabase(cluster, "AUTH_test", "docs", on: 1)
            let pass = await cluster.nodes[0].containerReplicator.runOnce()
            #expect(pass.rebuilt == 1)
            #expect(try await replicationInfo(cluster, "AUTH_test", "docs", on: 1).deleteTimestamp == ts(10))
        }
    }

    @Test func aDatabaseOnANonPrimaryDeviceMovesToThePrimariesAndIsRemoved() async throws {
        try await withStorageCluster(nodes: 4, replicas: 3) { cluster in
            let handoff = try handoffNode(cluster)
            try await createContainer(cluster, "AUTH_test/docs", on: handoff)
            try await putRow(cluster, "AUTH_test/docs/a", on: handoff, at: ts(10))
            try await putRow(cluster, "AUTH_test/docs/b", on: handoff, at: ts(11))

            let pass = await cluster.nodes[handoff].containerReplicator.runOnce()
            #expect(pass == ReplicationPass(synced: 3, rowsSent: 6, rebuilt: 3, handoffsRemoved: 1, failures: 0))
            let path = databasePath(cluster, "AUTH_test", "docs", on: handoff)
            #expect(!FileManager.default.fileExists(atPath: path))
            let partitionFolder = cluster.folder + "/" + cluster.nodes[handoff].device.rawValue + "/containers/"
                + String(cluster.partition(account: "AUTH_test", container: "docs"))
            #expect(!FileManager.default.fileExists(atPath: partitionFolder), "empty folders go too")
            for node in cluster.nodes.indices where node != handoff {
                #expect(try await listing(cluster, "AUTH_test/docs", on: node) == ["a", "b"], "node \(node)")
            }
            #expect(await cluster.nodes[handoff].containerReplicator.runOnce() == ReplicationPass())
        }
    }

    @Test func aDownPrimaryIsAFailureAndKeepsTheHandoff() async throws {
        try await withStorageCluster(nodes: 4, replicas: 3) { cluster in
            let handoff = try handoffNode(cluster)
            try await createContainer(cluster, "AUTH_test/docs", on: handoff)
            try await putRow(cluster, "AUTH_test/docs/a", on: handoff, at: ts(10))
            let primaries = cluster.nodes.indices.filter { $0 != handoff }
            let path = databasePath(cluster, "AUTH_test", "docs", on: handoff)

            cluster.network.takeDown(cluster.nodes[primaries[0]].address)
            let down = await cluster.nodes[handoff].containerReplicator.runOnce()
            #expect(down.failures == 1 && down.synced == 2 && down.handoffsRemoved == 0)
            #expect(FileManager.default.fileExists(atPath: path))
            // A row written meanwhile is moved too.
            try await putRow(cluster, "AUTH_test/docs/b", on: handoff, at: ts(11))

            cluster.network.bringUp(cluster.nodes[primaries[0]].address)
            let up = await cluster.nodes[handoff].containerReplicator.runOnce()
            #expect(up.failures == 0 && up.handoffsRemoved == 1 && up.rebuilt == 1)
            #expect(!FileManager.default.fileExists(atPath: path))
            for node in primaries {
                #expect(try await listing(cluster, "AUTH_test/docs", on: node) == ["a", "b"], "node \(node)")
            }
        }
    }

    @Test func aFullPrimaryGetsAStandInOnAHandoffUntilItHasRoom() async throws {
        try await withStorageCluster(nodes: 4, replicas: 3) { cluster in
            let handoff = try handoffNode(cluster)
            let primaries = cluster.nodes.indices.filter { $0 != handoff }
            for node in primaries { try await createContainer(cluster, "AUTH_test/docs", on: node) }
            // One primary's database cannot grow: SQLite's page limit answers SQLITE_FULL, as a full disk does.
            try await setPageLimit(cluster, on: primaries[1], to: 1)
            for index in 0..<300 { try await putRow(cluster, "AUTH_test/docs/o\(index)", on: primaries[0], at: ts(10 + Int64(index))) }
            let pass = await cluster.nodes[primaries[0]].containerReplicator.runOnce()
            #expect(pass.standIns == 1 && pass.failures == 1 && pass.rebuilt == 1)
            #expect(try await listing(cluster, "AUTH_test/docs", on: handoff).count == 300)
            #expect(try await listing(cluster, "AUTH_test/docs", on: primaries[2]).count == 300)
            #expect(try await listing(cluster, "AUTH_test/docs", on: primaries[1]).count < 300)
            // The other primary picks the same handoff, which has the database already: its
            // rows merge into the same 300.
            let second = await cluster.nodes[primaries[2]].containerReplicator.runOnce()
            #expect(second.standIns == 1 && second.rebuilt == 0 && second.failures == 1)
            #expect(try await listing(cluster, "AUTH_test/docs", on: handoff).count == 300)
            // The handoff keeps the database while the primary is full, and hands it over once it has room.
            let waiting = await cluster.nodes[handoff].containerReplicator.runOnce()
            #expect(waiting.handoffsRemoved == 0 && waiting.failures == 1)
            try await setPageLimit(cluster, on: primaries[1], to: 1 << 30)
            let home = await cluster.nodes[handoff].containerReplicator.runOnce()
            #expect(home.handoffsRemoved == 1 && home.failures == 0)
            #expect(!FileManager.default.fileExists(atPath: databasePath(cluster, "AUTH_test", "docs", on: handoff)))
            #expect(try await listing(cluster, "AUTH_test/docs", on: primaries[1]).count == 300)
        }
    }

    @Test func aPrimarySWIMHoldsDeadIsNotAskedAndKeepsTheHandoff() async throws {
        try await withStorageCluster(nodes: 4, replicas: 3) { cluster in
            let handoff = try handoffNode(cluster)
            try await createContainer(cluster, "AUTH_test/docs", on: handoff)
            let primary = try #require(cluster.nodes.indices.first { $0 != handoff })
            let record = try #require(cluster.cluster.ring.devices.first { $0.id == cluster.nodes[primary].device })
            cluster.cluster.markDown(record.node)
            let pass = await cluster.nodes[handoff].containerReplicator.runOnce()
            #expect(pass.failures == 1 && pass.synced == 2 && pass.handoffsRemoved == 0)
            #expect(FileManager.default.fileExists(atPath: databasePath(cluster, "AUTH_test", "docs", on: handoff)))
            #expect(try await cluster.send(cluster.request("HEAD", "AUTH_test/docs", on: primary)).status == 404)
        }
    }
}

// MARK: Helpers

/// Runs `pass` on every node in order and adds up what they did.
private func everyNode(_ cluster: StorageCluster, _ pass: (StorageCluster.Node) async -> ReplicationPass) async -> ReplicationPass {
    var total = ReplicationPass()
    for node in cluster.nodes {
        let one = await pass(node)
        total.synced += one.synced
        total.rowsSent += one.rowsSent
        total.rebuilt += one.rebuilt
        total.handoffsRemoved += one.handoffsRemoved
        total.failures += one.failures
    }
    return total
}

/// Runs rounds of passes on every node until one sends no rows (at most 4); returns how
/// many rounds sent rows.
private func settle<Broker: ReplicatedDatabase>(_ cluster: StorageCluster, _ replicator: KeyPath<StorageCluster.Node, DatabaseReplicator<Broker>>)
    async -> Int
{
    var rounds = 0
    while rounds < 4, await everyNode(cluster, { await $0[keyPath: replicator].runOnce() }).rowsSent > 0 { rounds += 1 }
    return rounds
}

/// An object row (`account/container/object`) on the container replica of `node`.
private func putRow(_ cluster: StorageCluster, _ path: String, on node: Int, at timestamp: SwiftTimestamp,
                    size: Int = 1, delete: Bool = false) async throws {
    let headers: HeaderFields = delete ? [BackendHeader.timestamp: timestamp.internal] : [
        BackendHeader.timestamp: timestamp.internal, BackendHeader.size: String(size),
        BackendHeader.contentType: "text/plain", BackendHeader.etag: "etag"]
    let head = cluster.row(delete ? "DELETE" : "PUT", path, on: node, headers: headers)
    let answer = try await cluster.send(head, on: cluster.rowChannel(head))
    #expect(answer.isSuccess, "\(path) on node \(node): \(answer.status)")
}

/// A container row (`account/container`) on the account replica of `node`.
private func putAccountRow(_ cluster: StorageCluster, _ path: String, on node: Int, at timestamp: SwiftTimestamp) async throws {
    let head = cluster.row("PUT", path, on: node, headers: [
        BackendHeader.putTimestamp: timestamp.internal, BackendHeader.deleteTimestamp: SwiftTimestamp(ticks: 0).internal,
        BackendHeader.objectCount: "0", BackendHeader.bytesUsed: "0"])
    #expect(try await cluster.send(head, on: cluster.rowChannel(head)).status == 201)
}

/// Creates `account/container` on `node` alone.
private func createContainer(_ cluster: StorageCluster, _ path: String, on node: Int) async throws {
    let answer = try await cluster.send(cluster.request("PUT", path, on: node, headers: [BackendHeader.timestamp: ts(1).internal]))
    #expect(answer.status == 201)
}

/// The node whose device is a handoff, not a primary, for `AUTH_test/docs`.
private func handoffNode(_ cluster: StorageCluster) throws -> Int {
    let partition = cluster.partition(account: "AUTH_test", container: "docs")
    let handoff = try #require(cluster.cluster.ring.handoffs(of: partition).first)
    return try #require(cluster.nodes.firstIndex { $0.device == handoff.id })
}

/// The names a plain-text listing of `path` on `node` shows.
private func listing(_ cluster: StorageCluster, _ path: String, on node: Int) async throws -> [String] {
    let answer = try await cluster.send(cluster.request("GET", path, on: node))
    #expect(answer.isSuccess, "GET \(path) on node \(node): \(answer.status)")
    return answer.text.split(separator: "\n").map(String.init)
}

private func databasePath(_ cluster: StorageCluster, _ account: String, _ container: String, on node: Int) -> String {
    cluster.layout.containerDatabase(
        devicePath: cluster.folder + "/" + cluster.nodes[node].device.rawValue,
        partition: cluster.partition(account: account, container: container), account: account, container: container)
}

private func broker(_ cluster: StorageCluster, _ account: String, _ container: String, on node: Int) async -> ContainerBroker {
    await cluster.nodes[node].containerServer.brokers.broker(at: databasePath(cluster, account, container, on: node))
}

private func replicationInfo(_ cluster: StorageCluster, _ account: String, _ container: String, on node: Int) async throws
    -> ReplicationInfo
{
    try await broker(cluster, account, container, on: node).replicationInfo()
}

/// Every object row of the replica on `node`, tombstones included, without the ROWIDs
/// (they differ between replicas).
private func objectRows(_ cluster: StorageCluster, _ account: String, _ container: String, on node: Int) async throws
    -> [ObjectRecord]
{
    let rows = try await broker(cluster, account, container, on: node).items(afterRow: -1, limit: 1_000)
    return rows.map { row in
        var row = row
        row.rowID = 0
        return row
    }.sorted { $0.name < $1.name }
}

/// Caps the pages the replica on `node` may grow to (never below its size), through the
/// server's open connection: past the cap, writes fail with `SQLITE_FULL`.
private func setPageLimit(_ cluster: StorageCluster, on node: Int, to pages: Int) async throws {
    try await broker(cluster, "AUTH_test", "docs", on: node).withReplicationTables { db, _ in
        try db.execute("PRAGMA max_page_count = \(pages)")
    }
}

/// Deletes the database file of the replica on `node`, as a lost disk would (the server's
/// open broker is closed first, so it does not keep the deleted file alive).
private func removeDatabase(_ cluster: StorageCluster, _ account: String, _ container: String, on node: Int) async throws {
    await broker(cluster, account, container, on: node).close()
    try FileManager.default.removeItem(atPath: databasePath(cluster, account, container, on: node))
}

extension Answer {
    var isSuccess: Bool { (200..<300).contains(status) }
}
