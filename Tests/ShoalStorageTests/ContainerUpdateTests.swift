import Logging
import Testing
import ShoalCore
import ShoalDiskStore
import ShoalPorts
@testable import ShoalStorage

/// Object writes reach container listings on other nodes, directly or through async
/// pendings and the object updater; container stats reach accounts through the container
/// updater.
struct ContainerUpdateTests {
    @Test func objectWriteUpdatesAContainerOnAnotherNode() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "docs")
            let put = try await cluster.putObject("AUTH_test/docs/a.txt", "hello", on: 0, containerNode: 1, at: ts(10))
            #expect(put.status == 201)
            let listing = try await cluster.send(cluster.request("GET", "AUTH_test/docs", on: 1, query: ["format": "json"]))
            #expect(listing.status == 200)
            #expect(listing.text.contains("\"name\": \"a.txt\""))
            #expect(listing.text.contains("\"bytes\": 5"))
            // Only the named replica was told.
            let other = try await cluster.send(cluster.request("GET", "AUTH_test/docs", on: 2))
            #expect(other.status == 204)

            var delete = cluster.request("DELETE", "AUTH_test/docs/a.txt", on: 0, headers: [BackendHeader.timestamp: ts(20).internal])
            delete.headers.merge(cluster.containerTarget("AUTH_test", "docs", node: 1))
            #expect(try await cluster.send(delete).status == 204)
            let after = try await cluster.send(cluster.request("GET", "AUTH_test/docs", on: 1))
            #expect(after.status == 204)
            #expect(await cluster.nodes[0].pendings.count == 0)
        }
    }

    @Test func undeliveredUpdateIsKeptAndDeliveredByTheObjectUpdater() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "docs")
            cluster.network.takeDown(cluster.nodes[2].address)
            let put = try await cluster.putObject("AUTH_test/docs/b.txt", "pending", on: 0, containerNode: 2, at: ts(10))
            #expect(put.status == 201)
            #expect(await cluster.nodes[0].pendings.count == 1)

            // Still down: the updater keeps the entry.
            let failed = await cluster.nodes[0].objectUpdater.runOnce()
            #expect(failed.failed == 1 && failed.delivered == 0)
            #expect(await cluster.nodes[0].pendings.count == 1)

            cluster.network.bringUp(cluster.nodes[2].address)
            let pass = await cluster.nodes[0].objectUpdater.runOnce()
            #expect(pass.delivered == 1)
            #expect(await cluster.nodes[0].pendings.count == 0)
            // The updater sends to every primary of the container.
            for node in cluster.nodes.indices {
                let listing = try await cluster.send(cluster.request("GET", "AUTH_test/docs", on: node))
                #expect(listing.text == "b.txt\n", "node \(node)")
            }
        }
    }

    @Test func namedContainerHostsWinOverTheRing() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "docs")
            // The device of node 1 at node 2's address: node 2 does not serve it (507), so
            // the update is kept; without the host the ring would have sent it to node 1.
            let put = try await cluster.putObject("AUTH_test/docs/d.txt", "x", on: 0, containerNode: 1, at: ts(10),
                                                  headers: [BackendHeader.containerHost: cluster.nodes[2].address.description])
            #expect(put.status == 201)
            #expect(await cluster.nodes[0].pendings.count == 1)
            let listing = try await cluster.send(cluster.request("GET", "AUTH_test/docs", on: 1))
            #expect(listing.status == 204)
        }
    }

    @Test func objectUpdaterDeliversFromTheDiskPendingStore() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "docs")
            let queue = try AsyncPendingStore(devicePath: cluster.folder + "/pending-device")
            let hash = try #require(ObjectHash(digest: cluster.layout.hasher.digest(account: "AUTH_test", container: "docs", object: "e")))
            try await queue.save(ContainerUpdate(operation: .put, account: "AUTH_test", container: "docs", object: "e",
                                                 timestamp: ts(10), sizeBytes: 4, contentType: "text/plain", etag: "x"),
                                 objectHash: hash)
            let updater = ObjectUpdater(queues: [cluster.devices[0]: queue], hasher: cluster.layout.hasher,
                                        client: cluster.client, cluster: cluster.cluster,
                                        logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
            #expect(await updater.runOnce().delivered == 1)
            #expect(try await queue.list().isEmpty)
            let listing = try await cluster.send(cluster.request("GET", "AUTH_test/docs", on: 2))
            #expect(listing.text == "e\n")
        }
    }

    @Test func updateToAMissingContainerIsKeptPending() async throws {
        try await withStorageCluster { cluster in
            let put = try await cluster.putObject("AUTH_test/nowhere/c.txt", "x", on: 0, containerNode: 1, at: ts(10))
            #expect(put.status == 201)
            #expect(await cluster.nodes[0].pendings.count == 1)
            let row = try await cluster.send(cluster.row("PUT", "AUTH_test/nowhere/c.txt", on: 1, headers: [
                BackendHeader.timestamp: ts(10).internal, BackendHeader.size: "1"]), on: .container)
            #expect(row.status == 404)
        }
    }

    @Test func accountStatsConvergeAfterTheContainerUpdater() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "docs")
            for (index, name) in ["a", "b", "c"].enumerated() {
                for node in cluster.nodes.indices {
                    try await cluster.putObject("AUTH_test/docs/\(name)", "12345", on: node, containerNode: node,
                                                at: ts(10 + Int64(index)))
                }
            }
            let before = try await cluster.send(cluster.request("HEAD", "AUTH_test", on: 1))
            #expect(before.headers["X-Account-Container-Count"] == "1")
            #expect(before.headers["X-Account-Object-Count"] == "0")

            for node in cluster.nodes { await node.containerUpdater.runOnce() }
            for node in cluster.nodes.indices {
                let head = try await cluster.send(cluster.request("HEAD", "AUTH_test", on: node))
                #expect(head.headers["X-Account-Object-Count"] == "3", "node \(node)")
                #expect(head.headers["X-Account-Bytes-Used"] == "15", "node \(node)")
            }
            let listing = try await cluster.send(cluster.request("GET", "AUTH_test", on: 0, query: ["format": "json"]))
            #expect(listing.text.contains("\"name\": \"docs\", \"count\": 3, \"bytes\": 15"))

            let again = await cluster.nodes[0].containerUpdater.runOnce()
            #expect(again.reported == 0 && again.unchanged == 1)
        }
    }
}
