import Testing
import ShoalCore
import ShoalPorts
import ShoalSwiftAPI
@testable import ShoalStorage

struct ProxyContainerTests {
    @Test func containerPutAutocreatesTheAccountAndPairsAccountUpdates() async {
        let cluster = await ProxyTestCluster()
        let response = await cluster.proxy.handle(StorageRequest(method: "PUT", account: "AUTH_new", container: "photos"))
        #expect(response.status == 201)
        let accountPuts = cluster.log.all.filter { $0.head.method == "PUT" && $0.head.container == nil }
        #expect(Set(accountPuts.map(\.node)) == Set(cluster.primaries(account: "AUTH_new")))
        let containerPuts = cluster.log.all.filter { $0.head.method == "PUT" && $0.head.container != nil }
        #expect(Set(containerPuts.map(\.node)) == Set(cluster.primaries(account: "AUTH_new", container: "photos")))
        let accountDevices = cluster.primaries(account: "AUTH_new").map { "node\($0)-d0" }
        #expect(Set(containerPuts.compactMap { $0.head.headers[BackendHeader.accountDevice] }) == Set(accountDevices))
        #expect(containerPuts.allSatisfy { $0.head.headers[BackendHeader.accountPartition] != nil })
        // The account exists now: a second container does not create it again.
        #expect(await cluster.proxy.handle(StorageRequest(method: "PUT", account: "AUTH_new", container: "more")).status == 201)
        #expect(cluster.log.all.filter { $0.head.method == "PUT" && $0.head.container == nil }.count == 3)
    }

    @Test func containerNameAndMetadataAreValidated() async {
        let cluster = await ProxyTestCluster()
        let long = await cluster.proxy.handle(StorageRequest(method: "PUT", account: "AUTH_test", container: String(repeating: "c", count: 257)))
        #expect(long.status == 400)
        #expect(await cluster.body(long) == "Container name length of 257 longer than 256")
        let slash = await cluster.proxy.handle(StorageRequest(method: "PUT", account: "AUTH_test", container: "a/b"))
        #expect(slash.status == 400)
        let meta = await cluster.proxy.handle(StorageRequest(method: "POST", account: "AUTH_test", container: "c",
                                                             headers: ["X-Container-Meta-Big": String(repeating: "v", count: 257)]))
        #expect(meta.status == 400)
        #expect(await cluster.body(meta) == "Metadata value longer than 256: X-Container-Meta-big")
        #expect(cluster.log.all.isEmpty)
    }

    @Test func containerDeleteAndHeadTakeBestResponse() async {
        let cluster = await ProxyTestCluster()
        cluster.seedContainer("AUTH_test", "photos")
        #expect(await cluster.proxy.handle(StorageRequest(method: "HEAD", account: "AUTH_test", container: "photos")).status == 204)
        let primaries = cluster.primaries(account: "AUTH_test", container: "photos")
        cluster.servers[primaries[0]].override.withLock { $0 = { $0.method == "DELETE" ? 409 : nil } }
        cluster.servers[primaries[1]].override.withLock { $0 = { $0.method == "DELETE" ? 409 : nil } }
        let conflict = await cluster.proxy.handle(StorageRequest(method: "DELETE", account: "AUTH_test", container: "photos"))
        #expect(conflict.status == 409)
        cluster.servers[primaries[0]].override.withLock { $0 = nil }
        cluster.servers[primaries[1]].override.withLock { $0 = nil }
        cluster.seedContainer("AUTH_test", "photos")
        #expect(await cluster.proxy.handle(StorageRequest(method: "DELETE", account: "AUTH_test", container: "photos")).status == 204)
        #expect(await cluster.proxy.handle(StorageRequest(method: "DELETE", account: "AUTH_test", container: "photos")).status == 404)
        #expect(await cluster.proxy.handle(StorageRequest(method: "GET", account: "AUTH_test", container: "photos")).status == 404)
        let badFormat = await cluster.proxy.handle(StorageRequest(method: "GET", account: "AUTH_test", container: "photos",
                                                                  query: ["format": "yaml"]))
        #expect(badFormat.status == 400)
    }

    @Test func missingAccountReadsAsEmptyUnderAutocreate() async {
        let cluster = await ProxyTestCluster()
        let plain = await cluster.proxy.handle(StorageRequest(method: "GET", account: "AUTH_none"))
        #expect(plain.status == 204)
        #expect(plain.headers["X-Account-Container-Count"] == "0")
        let json = await cluster.proxy.handle(StorageRequest(method: "GET", account: "AUTH_none", query: ["format": "json"]))
        #expect(json.status == 200)
        #expect(await cluster.body(json) == "[]")
        #expect(json.headers["Content-Type"] == "application/json; charset=utf-8")
        let head = await cluster.proxy.handle(StorageRequest(method: "HEAD", account: "AUTH_none"))
        #expect(head.status == 204 && head.body == nil)
        #expect(await cluster.proxy.handle(StorageRequest(method: "PUT", account: "AUTH_none")).status == 405)
        #expect(await cluster.proxy.handle(StorageRequest(method: "POST", account: "AUTH_none",
                                                          headers: ["X-Account-Meta-A": "b"])).status == 204)
        #expect(cluster.servers.contains { $0.state.withLock { $0.accounts.contains("AUTH_none") } })
    }
}
