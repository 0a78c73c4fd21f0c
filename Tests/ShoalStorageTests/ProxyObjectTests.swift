import Testing
import ShoalCore
import ShoalPorts
import ShoalSwiftAPI
@testable import ShoalStorage

struct ProxyObjectTests {
    let path = ("AUTH_test", "photos", "2026/cat.jpg")
    let payload = Array("the quick brown fox jumps over the lazy dog".utf8)

    @Test func putGoesToThreePrimariesWithPairedContainerUpdates() async {
        let cluster = await ProxyTestCluster()
        cluster.seedContainer("AUTH_test", "photos")
        let response = await cluster.put(path, body: payload)
        #expect(response.status == 201)
        #expect(response.headers["ETag"] == ETagHasher.hex(of: payload))
        #expect(response.headers["Last-Modified"]?.hasSuffix("GMT") == true)
        let puts = cluster.log.matching("PUT", object: true)
        #expect(Set(puts.map(\.node)) == Set(cluster.primaries(account: path.0, container: path.1, object: path.2)))
        #expect(puts.allSatisfy { $0.body == payload })
        // The proxy hashed the body once and sent its MD5 after it: no replica hashes it again.
        #expect(puts.allSatisfy { $0.footer == ETagHasher.hex(of: payload) && $0.head.headers[BackendHeader.etagFooter] != nil })
        #expect(puts.allSatisfy { $0.head.headers["Content-Type"] == "image/jpeg" })
        #expect(Set(puts.compactMap { $0.head.headers[BackendHeader.timestamp] }).count == 1)
        // One container replica per object replica, all different, all container primaries.
        let containerNodes = cluster.primaries(account: path.0, container: path.1).map { "node\($0)-d0" }
        let updates = puts.compactMap { $0.head.headers[BackendHeader.containerDevice] }
        #expect(updates.count == 3 && Set(updates) == Set(containerNodes))
        for put in puts where containerNodes.contains("node\(put.node)-d0") {
            #expect(put.head.headers[BackendHeader.containerDevice] == "node\(put.node)-d0")
        }
    }

    /// A chunked upload's length is unknown until it ends: no footer, each replica hashes.
    @Test func aChunkedUploadGoesWithoutAFooter() async {
        let cluster = await ProxyTestCluster()
        cluster.seedContainer("AUTH_test", "photos")
        let response = await cluster.put(path, body: payload, headers: ["Transfer-Encoding": "chunked"])
        #expect(response.status == 201 && response.headers["ETag"] == ETagHasher.hex(of: payload))
        let puts = cluster.log.matching("PUT", object: true)
        #expect(puts.count == 3 && puts.allSatisfy { $0.body == payload && $0.footer == nil })
        #expect(puts.allSatisfy { $0.head.headers[BackendHeader.etagFooter] == nil && $0.head.headers["Content-Length"] == nil })
    }

    @Test func twoOfThreeIsAQuorumAndOneIsNot() async {
        let cluster = await ProxyTestCluster()
        cluster.seedContainer("AUTH_test", "photos")
        let primaries = cluster.primaries(account: path.0, container: path.1, object: path.2)
        cluster.servers[primaries[0]].override.withLock { $0 = { $0.method == "PUT" ? 500 : nil } }
        #expect(await cluster.put(path, body: payload).status == 201)
        cluster.servers[primaries[1]].override.withLock { $0 = { $0.method == "PUT" ? 500 : nil } }
        let failed = await cluster.put(path, body: payload)
        #expect(failed.status == 503)
    }

    @Test func aFullDeviceGetsNoWritesUntilTheSuppressionEnds() async {
        let cluster = await ProxyTestCluster()
        cluster.seedContainer("AUTH_test", "photos")
        let primaries = cluster.primaries(account: path.0, container: path.1, object: path.2)
        let handoff = cluster.handoffs(account: path.0, container: path.1, object: path.2)[0]
        cluster.servers[primaries[1]].override.withLock { $0 = { $0.method == "PUT" ? 507 : nil } }
        #expect(await cluster.put(path, body: payload).status == 201)
        #expect(Set(cluster.log.matching("PUT", object: true).map(\.node)) == Set(primaries))
        // The next write goes to a handoff instead of the full device.
        #expect(await cluster.put(path, body: payload).status == 201)
        let second = cluster.log.matching("PUT", object: true).dropFirst(3)
        #expect(Set(second.map(\.node)) == [primaries[0], primaries[2], handoff])
    }

    @Test func duringAMoveTheLeavingDeviceIsWrittenButTheQuorumIsTheNewOwners() async throws {
        let cluster = await ProxyTestCluster(nodes: 5, joining: [4])
        cluster.seedContainer("AUTH_test", "photos")
        // An object whose partition has a replica moving to the joining node.
        let name = try #require((0..<500).map { "moving-\($0)" }.first { name in
            let partition = cluster.hasher.partition(account: "AUTH_test", container: "photos", object: name, partPower: 4)
            return cluster.ring.leaving(of: partition) != nil
        })
        let moving = ("AUTH_test", "photos", name)
        let partition = cluster.hasher.partition(account: "AUTH_test", container: "photos", object: name, partPower: 4)
        let leaving = cluster.serverIndex(of: try #require(cluster.ring.leaving(of: partition)))
        let primaries = cluster.primaries(account: moving.0, container: moving.1, object: moving.2)
        #expect(primaries.contains(4) && !primaries.contains(leaving))

        #expect(await cluster.put(moving, body: payload).status == 201)
        let puts = cluster.log.matching("PUT", object: true)
        #expect(Set(puts.map(\.node)) == Set(primaries + [leaving]))
        #expect(puts.first { $0.node == leaving }?.head.headers[BackendHeader.containerDevice] == nil,
                "the new owners carry the listing")
        #expect(puts.filter { $0.node != leaving }.allSatisfy { $0.head.headers[BackendHeader.containerDevice] != nil })

        // The leaving device failing does not fail the write ...
        cluster.servers[leaving].override.withLock { $0 = { $0.method == "PUT" ? 503 : nil } }
        #expect(await cluster.put(moving, body: payload).status == 201)
        // ... and its success does not make up for two new owners failing.
        cluster.servers[leaving].override.withLock { $0 = nil }
        for index in primaries.prefix(2) { cluster.servers[index].override.withLock { $0 = { $0.method == "PUT" ? 503 : nil } } }
        #expect(await cluster.put(moving, body: payload).status == 503)
    }

    @Test func downPrimaryMeansAHandoffTakesTheWrite() async {
        let cluster = await ProxyTestCluster()
        cluster.seedContainer("AUTH_test", "photos")
        let primaries = cluster.primaries(account: path.0, container: path.1, object: path.2)
        let handoff = cluster.handoffs(account: path.0, container: path.1, object: path.2)[0]
        cluster.view.markDown(NodeID("node\(primaries[1])")!)
        cluster.network.takeDown(ProxyTestCluster.address(primaries[1]))
        #expect(await cluster.put(path, body: payload).status == 201)
        let puts = cluster.log.matching("PUT", object: true)
        #expect(Set(puts.map(\.node)) == [primaries[0], primaries[2], handoff])
        #expect(puts.allSatisfy { $0.body == payload })
        // Every container replica is still told, once; a node that holds one tells its own
        // (in process), the others take the rest.
        let containerNodes = cluster.primaries(account: path.0, container: path.1).map { "node\($0)-d0" }
        let named = puts.compactMap { put in put.head.headers[BackendHeader.containerDevice].map { (put.node, $0) } }
        #expect(named.map(\.1).sorted() == containerNodes.sorted())
        for (node, device) in named where containerNodes.contains("node\(node)-d0") { #expect(device == "node\(node)-d0") }
    }

    @Test func withNoHandoffLeftEveryContainerReplicaStillGetsTheUpdate() async {
        let cluster = await ProxyTestCluster(nodes: 3)
        cluster.seedContainer("AUTH_test", "photos")
        let primaries = cluster.primaries(account: path.0, container: path.1, object: path.2)
        cluster.view.markDown(NodeID("node\(primaries[1])")!)
        cluster.network.takeDown(ProxyTestCluster.address(primaries[1]))
        #expect(await cluster.put(path, body: payload).status == 201)
        let puts = cluster.log.matching("PUT", object: true)
        #expect(Set(puts.map(\.node)) == [primaries[0], primaries[2]])
        // Two object replicas carry all three container updates between them.
        let named = puts.compactMap { $0.head.headers[BackendHeader.containerDevice] }
            .flatMap { $0.split(separator: ",").map(String.init) }
        let containerNodes = cluster.primaries(account: path.0, container: path.1).map { "node\($0)-d0" }
        #expect(named.sorted() == containerNodes.sorted())
    }

    @Test func unreachableNodeNotYetKnownDownCountsAsFailure() async {
        let cluster = await ProxyTestCluster()
        cluster.seedContainer("AUTH_test", "photos")
        let primaries = cluster.primaries(account: path.0, container: path.1, object: path.2)
        cluster.network.takeDown(ProxyTestCluster.address(primaries[0]))
        #expect(await cluster.put(path, body: payload).status == 201)
        cluster.network.takeDown(ProxyTestCluster.address(primaries[1]))
        #expect(await cluster.put(path, body: payload).status == 503)
    }

    @Test func stalledTargetIsDroppedWithoutBlockingTheOthers() async {
        let cluster = await ProxyTestCluster {
            $0.putQueueDepth = 2
            $0.chunkStallTimeout = .seconds(2)  // long enough for a busy machine to schedule the healthy ones
        }
        cluster.seedContainer("AUTH_test", "photos")
        let primaries = cluster.primaries(account: path.0, container: path.1, object: path.2)
        let gate = AsyncGate()
        cluster.servers[primaries[2]].gate.withLock { $0 = gate }
        // Larger than the transport's inline limit (64 KiB), so it streams: a smaller body is
        // read ahead whole and sent in one message, stalled server or not.
        let big = (0..<100_000).map { UInt8($0 % 251) }
        let response = await cluster.put(path, body: big, chunkSize: 1_000)
        #expect(response.status == 201)
        gate.open()
        let puts = cluster.log.matching("PUT", object: true)
        #expect(Set(puts.map(\.node)) == [primaries[0], primaries[1]])
        #expect(puts.allSatisfy { $0.body == big })
        // The stalled one was cut off: it never got the whole body.
        #expect(!cluster.log.all.contains { $0.node == primaries[2] && $0.head.method == "PUT" && $0.head.object != nil })
    }

    @Test func missingContainerIs404AndCachedBriefly() async {
        let cluster = await ProxyTestCluster()
        let response = await cluster.put(path, body: payload)
        #expect(response.status == 404)
        #expect(await cluster.body(response).contains("Not Found"))
        #expect(cluster.log.matching("PUT", object: true).isEmpty)
        let heads = cluster.log.all.filter { $0.head.method == "HEAD" }.count
        #expect(await cluster.put(path, body: payload).status == 404)
        #expect(cluster.log.all.filter { $0.head.method == "HEAD" }.count == heads)
    }

    @Test func putValidation() async {
        let cluster = await ProxyTestCluster()
        cluster.seedContainer("AUTH_test", "photos")
        let noLength = await cluster.proxy.handle(StorageRequest(method: "PUT", account: "AUTH_test", container: "photos",
                                                                 object: "a", body: .bytes(payload)))
        #expect(noLength.status == 411)
        #expect(await cluster.put(path, body: payload, headers: ["Content-Length": String(6 * 1024 * 1024 * 1024)]).status == 413)
        let longName = await cluster.put(("AUTH_test", "photos", String(repeating: "x", count: 1025)), body: payload)
        #expect(longName.status == 400)
        #expect(await cluster.body(longName) == "Object name length of 1025 longer than 1024")
        let meta = await cluster.put(path, body: payload, headers: ["X-Object-Meta-" + String(repeating: "k", count: 129): "v"])
        #expect(meta.status == 400)
        #expect(await cluster.body(meta).hasPrefix("Metadata name too long"))
        #expect(await cluster.put(path, body: payload, headers: ["X-Delete-After": "soon"]).status == 400)
        #expect(cluster.log.matching("PUT", object: true).isEmpty)
    }

    @Test func contentTypeIsGuessedOrKept() async {
        let cluster = await ProxyTestCluster()
        cluster.seedContainer("AUTH_test", "photos")
        _ = await cluster.put(("AUTH_test", "photos", "notes.TXT"), body: payload)
        _ = await cluster.put(("AUTH_test", "photos", "blob"), body: payload)
        _ = await cluster.put(("AUTH_test", "photos", "x.png"), body: payload, headers: ["Content-Type": "text/x-mine"])
        let types = Dictionary(cluster.log.matching("PUT", object: true).map { ($0.head.object!, $0.head.headers["Content-Type"]!) },
                               uniquingKeysWith: { a, _ in a })
        #expect(types == ["notes.TXT": "text/plain", "blob": "application/octet-stream", "x.png": "text/x-mine"])
        #expect(ContentTypeGuess.contentType(forObject: "a/b.tar.gz") == "application/gzip")
        #expect(ContentTypeGuess.contentType(forObject: ".hidden") == "application/octet-stream")
    }

    @Test func etagMismatchIs422AndIfNoneMatchIs412AndConflictIs202() async {
        let cluster = await ProxyTestCluster()
        cluster.seedContainer("AUTH_test", "photos")
        #expect(await cluster.put(path, body: payload, headers: ["ETag": "0123456789abcdef0123456789abcdef"]).status == 422)
        #expect(await cluster.put(path, body: payload, headers: ["ETag": "\"\(ETagHasher.hex(of: payload))\""]).status == 201)
        for server in cluster.servers { server.override.withLock { $0 = { $0.method == "PUT" ? 412 : nil } } }
        #expect(await cluster.put(path, body: payload, headers: ["If-None-Match": "*"]).status == 412)
        for server in cluster.servers { server.override.withLock { $0 = { $0.method == "PUT" ? 409 : nil } } }
        #expect(await cluster.put(path, body: payload).status == 202)
    }

    @Test func theETagIsTheOneTheReplicasAgreeOnAndADisagreementIs500() async {
        let cluster = await ProxyTestCluster()
        cluster.seedContainer("AUTH_test", "photos")
        let put = await cluster.put(path, body: payload)
        #expect(put.status == 201 && put.headers["ETag"] == ETagHasher.hex(of: payload))
        // The servers' refusal of a body that does not match the client's ETag comes back as Swift's 422.
        let refused = await cluster.put(path, body: payload, headers: ["ETag": "0123456789abcdef0123456789abcdef"])
        #expect(refused.status == 422)
        #expect(await cluster.body(refused) == SwiftError.unprocessable.body)
        // One replica stored something else: Swift's "mismatched etags".
        let replica = cluster.log.matching("PUT", object: true).map(\.node).first ?? 0
        cluster.servers[replica].wrongETag.withLock { $0 = "ffffffffffffffffffffffffffffffff" }
        let mismatched = await cluster.put(path, body: payload)
        #expect(mismatched.status == 500)
        #expect(await cluster.body(mismatched).contains("mismatched etags"))
    }

    /// Object servers refuse a conditional PUT before reading its body. The proxy must answer
    /// with their refusal, not a 503 for the body nobody took (several MiB here, far more
    /// than the per-target queues hold).
    @Test func refusalsBeforeTheBodyWinOverTheUnreadBody() async {
        let cluster = await ProxyTestCluster()
        cluster.seedContainer("AUTH_test", "photos")
        let large = [UInt8](repeating: 0x5a, count: 8 << 20)
        for server in cluster.servers { server.answersBeforeBody.withLock { $0 = true } }
        for server in cluster.servers { server.override.withLock { $0 = { $0.method == "PUT" ? 412 : nil } } }
        #expect(await cluster.put(path, body: large, headers: ["If-None-Match": "*"], chunkSize: 65536).status == 412)
        for server in cluster.servers { server.override.withLock { $0 = { $0.method == "PUT" ? 409 : nil } } }
        #expect(await cluster.put(path, body: large, chunkSize: 65536).status == 202)
        for server in cluster.servers { server.override.withLock { $0 = { $0.method == "PUT" ? 507 : nil } } }
        #expect(await cluster.put(path, body: large, chunkSize: 65536).status == 503)
    }

    @Test func deleteAfterBecomesDeleteAt() async {
        let cluster = await ProxyTestCluster()
        cluster.seedContainer("AUTH_test", "photos")
        #expect(await cluster.put(path, body: payload, headers: ["X-Delete-After": "60"]).status == 201)
        let put = cluster.log.matching("PUT", object: true)[0]
        #expect(put.head.headers["X-Delete-After"] == nil)
        #expect(put.head.headers[BackendHeader.deleteAt] == String(1_700_000_000 + 1 + 60))
    }

    @Test func getFallsThroughToTheNextNode() async throws {
        let (cluster, primaries) = await clusterHoldingTheObject()
        cluster.servers[primaries[0]].override.withLock { $0 = { $0.method == "GET" ? 500 : nil } }
        cluster.network.takeDown(ProxyTestCluster.address(primaries[1]))
        let response = await cluster.proxy.handle(StorageRequest(method: "GET", account: path.0, container: path.1, object: path.2))
        #expect(response.status == 200)
        #expect(response.headers["X-Served-By"] == String(primaries[2]))
        #expect(try await response.body?.collect(upTo: 1 << 20) == payload)
    }

    @Test func getOfMissingObjectIs404AndAllErrorsIs503() async {
        let cluster = await ProxyTestCluster()
        let missing = await cluster.proxy.handle(StorageRequest(method: "GET", account: path.0, container: path.1, object: path.2))
        #expect(missing.status == 404)
        #expect(await cluster.body(missing) == SwiftError.notFound.body)
        for server in cluster.servers { server.override.withLock { $0 = { _ in 503 } } }
        let broken = await cluster.proxy.handle(StorageRequest(method: "HEAD", account: path.0, container: path.1, object: path.2))
        #expect(broken.status == 503)
        #expect(broken.body == nil)
    }

    /// A cluster whose primaries for `path` hold it (PUT through the proxy), and those primaries.
    private func clusterHoldingTheObject() async -> (ProxyTestCluster, [Int]) {
        let cluster = await ProxyTestCluster()
        cluster.seedContainer("AUTH_test", "photos")
        #expect(await cluster.put(path, body: payload).status == 201)
        return (cluster, cluster.primaries(account: path.0, container: path.1, object: path.2))
    }

    @Test func deleteTakesTheQuorumAnswer() async {
        let (cluster, primaries) = await clusterHoldingTheObject()
        // One replica lost the object: two 204 and one 404 → 204.
        cluster.servers[primaries[0]].state.withLock { $0.objects = [:] }
        let deleted = await cluster.object("DELETE", path)
        #expect(deleted.status == 204)
        #expect(cluster.log.matching("DELETE", object: true).allSatisfy { $0.head.headers[BackendHeader.timestamp] != nil })
        let again = await cluster.object("DELETE", path)
        #expect(again.status == 404)
        let post = await cluster.object("POST", path, headers: ["X-Object-Meta-Color": "red"])
        #expect(post.status == 202)
    }

    /// An object written while its partition had one replica lives on one of the three until
    /// the replicator copies it; a DELETE meanwhile finds it there and nothing elsewhere.
    @Test func deletingAnObjectOnlyOneReplicaHasYetIs204() async {
        let (cluster, primaries) = await clusterHoldingTheObject()
        for index in primaries.dropFirst() { cluster.servers[index].state.withLock { $0.objects = [:] } }
        let deleted = await cluster.object("DELETE", path)
        #expect(deleted.status == 204)
        // Every replica holds the tombstone now: gone everywhere.
        for index in primaries { #expect(cluster.servers[index].state.withLock { $0.tombstones[cluster.key(path)] } != nil) }
        let get = await cluster.object("GET", path)
        #expect(get.status == 404)
        let again = await cluster.object("DELETE", path)
        #expect(again.status == 404)
    }

    /// A replica that missed a DELETE still has the data; the tombstones the others report
    /// are newer, so the object was already gone and the answer stays 404.
    @Test func aReplicaThatMissedADeleteDoesNotMakeIt204() async {
        let (cluster, primaries) = await clusterHoldingTheObject()
        let missed = primaries[0]
        cluster.servers[missed].override.withLock { $0 = { $0.method == "DELETE" ? 503 : nil } }
        let first = await cluster.object("DELETE", path)
        #expect(first.status == 204)
        cluster.servers[missed].override.withLock { $0 = nil }
        #expect(cluster.servers[missed].state.withLock { $0.objects[cluster.key(path)] } != nil)
        let second = await cluster.object("DELETE", path)
        #expect(second.status == 404)
    }

    @Test func copyFromStreamsTheSourceToTheDestination() async {
        let cluster = await ProxyTestCluster()
        cluster.seedContainer("AUTH_test", "photos")
        #expect(await cluster.put(path, body: payload, headers: ["X-Object-Meta-Color": "red"]).status == 201)
        let copy = await cluster.proxy.handle(StorageRequest(method: "PUT", account: "AUTH_test", container: "photos", object: "copy.jpg",
                                                             headers: ["X-Copy-From": "photos/2026/cat.jpg", "Content-Length": "0"]))
        #expect(copy.status == 201)
        #expect(copy.headers["X-Copied-From"] == "photos/2026/cat.jpg")
        let copies = cluster.log.matching("PUT", object: true).filter { $0.head.object == "copy.jpg" }
        #expect(copies.count == 3 && copies.allSatisfy { $0.body == payload })
    }
}

struct ETagTrimmingTests {
    @Test func weakPrefixAndQuotesGoTheRestStays() {
        #expect("\"d41d8cd98f00b204e9800998ecf8427e\"".trimmingQuotes() == "d41d8cd98f00b204e9800998ecf8427e")
        #expect("W/\"abc\"".trimmingQuotes() == "abc")
        #expect("W/abc".trimmingQuotes() == "abc")
        #expect("abc".trimmingQuotes() == "abc")
        #expect("\"".trimmingQuotes() == "\"", "a lone quote is not a pair")
        #expect("\"\"".trimmingQuotes() == "")
        #expect("\"abc".trimmingQuotes() == "\"abc" && "abc\"".trimmingQuotes() == "abc\"")
        #expect("\"é\"".trimmingQuotes() == "é")
        #expect("".trimmingQuotes() == "" && "W/".trimmingQuotes() == "")
    }
}
