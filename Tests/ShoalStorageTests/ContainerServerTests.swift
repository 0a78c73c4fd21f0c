import Logging
import Testing
import ShoalCore
import ShoalDiskStore
import ShoalPorts
@testable import ShoalStorage

/// The container server's answers on one replica (node 0), with object rows written
/// directly as object servers do.
struct ContainerServerTests {
    /// An object row, as an object server sends it after a PUT.
    func row(_ cluster: StorageCluster, _ name: String, size: Int, at timestamp: SwiftTimestamp) async throws -> Int {
        try await cluster.send(cluster.row("PUT", "AUTH_test/box/\(name)", headers: [
            BackendHeader.timestamp: timestamp.internal, BackendHeader.size: String(size),
            BackendHeader.contentType: "text/plain", BackendHeader.etag: "d41d8cd98f00b204e9800998ecf8427e",
        ]), on: .container).status
    }

    @Test func aDeviceInsideItsReserveRefusesPutsAndReplicationButStillServesAndDeletes() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            #expect(try await cluster.send(cluster.request("PUT", "AUTH_test/box", headers: [BackendHeader.timestamp: ts(1).internal])).status == 201)
            #expect(try await row(cluster, "a", size: 3, at: ts(2)) == 201)
            // The same device, served with a reserve as large as its file system.
            let devicePath = cluster.folder + "/" + cluster.nodes[0].device.rawValue
            let total = try #require(DeviceSpace.of(devicePath)).total
            let full = ContainerServer(
                devicePaths: [cluster.nodes[0].device: devicePath], layout: cluster.layout, executor: cluster.executor,
                client: cluster.client, cluster: cluster.cluster, logger: Logger(label: "test"), reserve: .bytes(total))
            let rowHead = cluster.row("PUT", "AUTH_test/box/b", headers: [
                BackendHeader.timestamp: ts(3).internal, BackendHeader.size: "1", BackendHeader.contentType: "text/plain",
                BackendHeader.etag: "d41d8cd98f00b204e9800998ecf8427e"])
            #expect(await full.handle(rowHead, body: nil).status == 507)
            #expect(await full.handle(cluster.request("PUT", "AUTH_test/other", headers: [BackendHeader.timestamp: ts(3).internal]), body: nil).status == 507)
            #expect(await full.handle(cluster.request(ReplicationBody.method, "AUTH_test/box"), body: nil).status == 507)
            #expect(await full.handle(cluster.request("HEAD", "AUTH_test/box"), body: nil).status == 204)
            let delete = cluster.row("DELETE", "AUTH_test/box/a", headers: [BackendHeader.timestamp: ts(4).internal])
            #expect(await full.handle(delete, body: nil).status == 204)
        }
    }

    @Test func putHeadPostAndMetadata() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            #expect(try await cluster.send(cluster.request("PUT", "AUTH_test/box")).status == 400)
            let created = try await cluster.send(cluster.request("PUT", "AUTH_test/box", headers: [
                BackendHeader.timestamp: ts(1).internal, "X-Container-Meta-Color": "blue", "X-Container-Read": ".r:*",
            ]))
            #expect(created.status == 201)
            let again = try await cluster.send(cluster.request("PUT", "AUTH_test/box", headers: [BackendHeader.timestamp: ts(2).internal]))
            #expect(again.status == 202)

            #expect(try await row(cluster, "a", size: 3, at: ts(3)) == 201)
            let head = try await cluster.send(cluster.request("HEAD", "AUTH_test/box"))
            #expect(head.status == 204)
            #expect(head.headers["X-Container-Object-Count"] == "1")
            #expect(head.headers["X-Container-Bytes-Used"] == "3")
            #expect(head.headers["X-Timestamp"] == ts(1).normal)
            #expect(head.headers["X-PUT-Timestamp"] == ts(2).normal)
            #expect(head.headers["X-Container-Meta-Color"] == "blue")
            #expect(head.headers["X-Container-Read"] == ".r:*")
            #expect(head.headers["X-Storage-Policy"] == "Policy-0")
            #expect(head.headers["Content-Type"] == "text/plain; charset=utf-8")

            let post = try await cluster.send(cluster.request("POST", "AUTH_test/box", headers: [
                BackendHeader.timestamp: ts(4).internal, "X-Container-Meta-Color": "", "X-Container-Meta-Size": "L",
            ]))
            #expect(post.status == 204)
            let afterPost = try await cluster.send(cluster.request("HEAD", "AUTH_test/box"))
            #expect(afterPost.headers["X-Container-Meta-Color"] == nil)
            #expect(afterPost.headers["X-Container-Meta-Size"] == "L")

            #expect(try await cluster.send(cluster.request("HEAD", "AUTH_test/nothing")).status == 404)
            #expect(try await cluster.send(cluster.request("POST", "AUTH_test/nothing", headers: [
                BackendHeader.timestamp: ts(4).internal])).status == 404)
        }
    }

    @Test func listingsWithQueryAndFormats() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "box")
            func list(_ query: [String: String], accept: String? = nil) async throws -> Answer {
                var headers = HeaderFields()
                if let accept { headers["Accept"] = accept }
                return try await cluster.send(cluster.request("GET", "AUTH_test/box", headers: headers, query: query))
            }
            let empty = try await list([:])
            #expect(empty.status == 204)
            let emptyJSON = try await list(["format": "json"])
            #expect(emptyJSON.status == 200)
            #expect(emptyJSON.text == "[]")

            for (index, name) in ["photos/2024/a.jpg", "photos/2025/b.jpg", "photos/c.jpg", "readme"].enumerated() {
                #expect(try await row(cluster, name, size: index, at: ts(10 + Int64(index))) == 201)
            }
            #expect(try await list([:]).text == "photos/2024/a.jpg\nphotos/2025/b.jpg\nphotos/c.jpg\nreadme\n")
            #expect(try await list(["prefix": "photos/", "delimiter": "/"]).text == "photos/2024/\nphotos/2025/\nphotos/c.jpg\n")
            #expect(try await list(["marker": "photos/c.jpg"]).text == "readme\n")
            #expect(try await list(["limit": "1", "reverse": "true"]).text == "readme\n")
            #expect(try await list(["limit": "10001"]).status == 412)
            #expect(try await list(["format": "yaml"]).status == 400)

            let json = try await list(["prefix": "readme"], accept: "application/json")
            #expect(json.status == 200)
            #expect(json.headers["Content-Type"] == "application/json; charset=utf-8")
            #expect(json.text == """
                [{"hash": "d41d8cd98f00b204e9800998ecf8427e", "last_modified": "2023-11-14T22:13:33.000000", \
                "bytes": 3, "name": "readme", "content_type": "text/plain"}]
                """)
            let xml = try await list(["format": "xml", "prefix": "photos/", "delimiter": "/"])
            #expect(xml.headers["Content-Type"] == "application/xml; charset=utf-8")
            #expect(xml.text.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<container name=\"box\">"))
            #expect(xml.text.contains("<subdir name=\"photos/2024/\"><name>photos/2024/</name></subdir>"))
            #expect(xml.headers["X-Container-Object-Count"] == "4")
        }
    }

    @Test func deleteRefusesNonEmptyContainers() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "box")
            #expect(try await row(cluster, "a", size: 1, at: ts(10)) == 201)
            var delete = cluster.request("DELETE", "AUTH_test/box", headers: [BackendHeader.timestamp: ts(20).internal])
            delete.headers.merge(cluster.accountTarget("AUTH_test"))
            #expect(try await cluster.send(delete).status == 409)

            let deleteRow = try await cluster.send(cluster.row("DELETE", "AUTH_test/box/a", headers: [
                BackendHeader.timestamp: ts(11).internal]), on: .container)
            #expect(deleteRow.status == 204)
            #expect(try await cluster.send(delete).status == 204)
            #expect(try await cluster.send(cluster.request("HEAD", "AUTH_test/box")).status == 404)
            #expect(try await cluster.send(cluster.request("GET", "AUTH_test/box")).status == 404)
            #expect(try await cluster.send(delete).status == 404)
            // Rows for a deleted container's database are still taken (the database exists).
            let account = try await cluster.send(cluster.request("GET", "AUTH_test", query: ["format": "json"]))
            #expect(account.text == "[]")

            // A PUT older than the delete does not revive it; a newer one does.
            let stale = try await cluster.send(cluster.request("PUT", "AUTH_test/box", headers: [BackendHeader.timestamp: ts(15).internal]))
            #expect(stale.status == 409)
            let revived = try await cluster.send(cluster.request("PUT", "AUTH_test/box", headers: [BackendHeader.timestamp: ts(30).internal]))
            #expect(revived.status == 201)
        }
    }

    @Test func containerPutOnAMissingAccountIsNotFound() async throws {
        try await withStorageCluster { cluster in
            var put = cluster.request("PUT", "AUTH_none/box", headers: [BackendHeader.timestamp: ts(1).internal])
            put.headers.merge(cluster.accountTarget("AUTH_none"))
            let answer = try await cluster.send(put)
            #expect(answer.status == 404)
        }
    }
}

/// An object server's batch of object rows (``ContainerUpdateBatch``).
struct ContainerRowBatchTests {
    static func update(_ name: String, _ operation: ContainerUpdate.Operation = .put, at timestamp: SwiftTimestamp,
                       container: String = "box") -> ContainerUpdate {
        ContainerUpdate(operation: operation, account: "AUTH_test", container: container, object: name, timestamp: timestamp,
                        sizeBytes: operation == .put ? 10 : 0, contentType: "text/plain", etag: "d41d8cd98f00b204e9800998ecf8427e")
    }

    func rows(_ cluster: StorageCluster, _ updates: [ContainerUpdate], container: String = "box") async throws -> Int {
        let bytes = ContainerUpdateBatch.encode(updates)
        return try await cluster.send(
            cluster.request(ContainerUpdateBatch.method, "AUTH_test/\(container)", headers: ["Content-Length": String(bytes.count)]),
            on: .container, body: bytes).status
    }

    @Test func aBatchRecordsEveryRowAsSinglePutsAndDeletesWould() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "box")
            let batch = [Self.update("a", at: ts(2)), Self.update("b", at: ts(3)), Self.update("c", at: ts(4)),
                         Self.update("b", .delete, at: ts(5)), Self.update("a", at: ts(1))]
            #expect(try await rows(cluster, batch) == 201)
            let head = try await cluster.send(cluster.request("HEAD", "AUTH_test/box"))
            #expect(head.headers["X-Container-Object-Count"] == "2")
            #expect(head.headers["X-Container-Bytes-Used"] == "20")
            let listing = try await cluster.send(cluster.request("GET", "AUTH_test/box"))
            #expect(listing.text == "a\nc\n")
        }
    }

    @Test func aBadBatchIsRefusedWhole() async throws {
        try await withStorageCluster { cluster in
            try await cluster.createAccount("AUTH_test")
            try await cluster.createContainer("AUTH_test", "box")
            #expect(try await rows(cluster, [Self.update("a", at: ts(2)), Self.update("x", at: ts(2), container: "other")]) == 400)
            let garbage: [UInt8] = [5, 1, 2]
            #expect(try await cluster.send(cluster.request(ContainerUpdateBatch.method, "AUTH_test/box"), on: .container,
                                           body: garbage).status == 400)
            #expect(try await rows(cluster, [Self.update("a", at: ts(2), container: "nothing")], container: "nothing") == 404)
            let head = try await cluster.send(cluster.request("HEAD", "AUTH_test/box"))
            #expect(head.headers["X-Container-Object-Count"] == "0")
        }
    }
}
