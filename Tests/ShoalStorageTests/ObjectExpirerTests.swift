import Logging
import Testing
import ShoalCore
import ShoalPorts
@testable import ShoalStorage

/// Each replica expires itself: the expirer on every node deletes its own copy at the
/// delete-at time and takes the object out of its paired container replica's listing.
struct ObjectExpirerTests {
    let path = "AUTH_test/photos/cat.jpg"
    let quiet = Logger(label: "expirer-test", factory: { _ in SwiftLogNoOpLogHandler() })

    func listing(_ cluster: StorageCluster, node: Int) async throws -> String {
        try await cluster.send(cluster.request("GET", "AUTH_test/photos", on: node)).text
    }

    @Test func expiredReplicasAreDeletedAndUnlisted() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "photos")
            cluster.clock.set(ts(10))
            for node in cluster.nodes.indices {
                let answer = try await cluster.putObject(path, "soon gone", on: node, containerNode: node, at: ts(10),
                                                         headers: ["X-Delete-At": String(ts(100).ticks / SwiftTimestamp.ticksPerSecond)])
                #expect(answer.status == 201)
            }
            #expect(try await listing(cluster, node: 1) == "cat.jpg\n")

            // Not yet due: nothing happens.
            for node in cluster.nodes {
                let early = ObjectExpirer(server: node.objectServer, cluster: cluster.cluster,
                                          now: { ts(50).ticks / SwiftTimestamp.ticksPerSecond }, logger: quiet)
                #expect(await early.runOnce() == ObjectExpirer.Pass(expired: 0, retried: 0))
            }
            cluster.clock.set(ts(200))
            for node in cluster.nodes {
                let expirer = ObjectExpirer(server: node.objectServer, cluster: cluster.cluster,
                                            now: { ts(200).ticks / SwiftTimestamp.ticksPerSecond }, logger: quiet)
                #expect(await expirer.runOnce() == ObjectExpirer.Pass(expired: 1, retried: 0))
                #expect(await expirer.runOnce() == ObjectExpirer.Pass(expired: 0, retried: 0))
            }
            for node in cluster.nodes.indices {
                let key = try #require(ObjectKey(account: "AUTH_test", container: "photos", object: "cat.jpg",
                                                 hasher: cluster.layout.hasher, partPower: cluster.layout.partPower))
                #expect(try await cluster.nodes[node].objects.head(key) == .deleted(ts(100)))
                #expect(try await listing(cluster, node: node) == "")
            }
        }
    }

    @Test func aNewerVersionWithoutExpiryOutlivesTheOldEntry() async throws {
        try await withStorageCluster(nodes: 1) { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "photos")
            cluster.clock.set(ts(10))
            try await cluster.putObject(path, "v1", at: ts(10), headers: ["X-Delete-At": String(ts(100).ticks / SwiftTimestamp.ticksPerSecond)])
            try await cluster.putObject(path, "v2 keeps", at: ts(20))
            cluster.clock.set(ts(200))
            let expirer = ObjectExpirer(server: cluster.nodes[0].objectServer, cluster: cluster.cluster,
                                        now: { ts(200).ticks / SwiftTimestamp.ticksPerSecond }, logger: quiet)
            #expect(await expirer.runOnce().expired == 1)
            let read = try await cluster.send(cluster.request("GET", path))
            #expect(read.status == 200 && read.text == "v2 keeps")
        }
    }
}
