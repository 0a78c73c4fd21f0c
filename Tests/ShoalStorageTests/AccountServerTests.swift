import Testing
import ShoalCore
import ShoalPorts
@testable import ShoalStorage

struct AccountServerTests {
    @Test func accountLifecycle() async throws {
        try await withStorageCluster { cluster in
            #expect(try await cluster.send(cluster.request("HEAD", "AUTH_acc")).status == 404)
            let created = try await cluster.send(cluster.request("PUT", "AUTH_acc", headers: [
                BackendHeader.timestamp: ts(1).internal, "X-Account-Meta-Quota": "10"]))
            #expect(created.status == 201)
            #expect(try await cluster.send(cluster.request("PUT", "AUTH_acc", headers: [BackendHeader.timestamp: ts(2).internal])).status == 202)

            let row = try await cluster.send(cluster.row("PUT", "AUTH_acc/box", headers: [
                BackendHeader.putTimestamp: ts(3).internal, BackendHeader.deleteTimestamp: "0",
                BackendHeader.objectCount: "2", BackendHeader.bytesUsed: "7"]), on: .account)
            #expect(row.status == 201)

            let head = try await cluster.send(cluster.request("HEAD", "AUTH_acc"))
            #expect(head.status == 204)
            #expect(head.headers["X-Account-Container-Count"] == "1")
            #expect(head.headers["X-Account-Object-Count"] == "2")
            #expect(head.headers["X-Account-Bytes-Used"] == "7")
            #expect(head.headers["X-Timestamp"] == ts(1).normal)
            #expect(head.headers["X-PUT-Timestamp"] == ts(2).normal)
            #expect(head.headers["X-Account-Meta-Quota"] == "10")

            let post = try await cluster.send(cluster.request("POST", "AUTH_acc", headers: [
                BackendHeader.timestamp: ts(4).internal, "X-Account-Meta-Quota": "20"]))
            #expect(post.status == 204)
            #expect(try await cluster.send(cluster.request("HEAD", "AUTH_acc")).headers["X-Account-Meta-Quota"] == "20")

            let plain = try await cluster.send(cluster.request("GET", "AUTH_acc"))
            #expect(plain.status == 200)
            #expect(plain.text == "box\n")
            let json = try await cluster.send(cluster.request("GET", "AUTH_acc", query: ["format": "json"]))
            #expect(json.text == "[{\"name\": \"box\", \"count\": 2, \"bytes\": 7, \"last_modified\": \"2023-11-14T22:13:23.000000\"}]")
            #expect(try await cluster.send(cluster.request("GET", "AUTH_acc", query: ["prefix": "x"])).status == 204)

            // The container is deleted: its row goes away.
            let deletedRow = try await cluster.send(cluster.row("PUT", "AUTH_acc/box", headers: [
                BackendHeader.putTimestamp: ts(3).internal, BackendHeader.deleteTimestamp: ts(5).internal,
                BackendHeader.objectCount: "0", BackendHeader.bytesUsed: "0"]), on: .account)
            #expect(deletedRow.status == 204)
            #expect(try await cluster.send(cluster.request("GET", "AUTH_acc", query: ["format": "json"])).text == "[]")

            let delete = try await cluster.send(cluster.request("DELETE", "AUTH_acc", headers: [BackendHeader.timestamp: ts(6).internal]))
            #expect(delete.status == 204)
            let gone = try await cluster.send(cluster.request("HEAD", "AUTH_acc"))
            #expect(gone.status == 404)
            #expect(gone.headers["X-Account-Status"] == "Deleted")
        }
    }

    @Test func containerRowsNeedAnAccount() async throws {
        try await withStorageCluster { cluster in
            let row = try await cluster.send(cluster.row("PUT", "AUTH_none/box", headers: [
                BackendHeader.putTimestamp: ts(3).internal, BackendHeader.deleteTimestamp: "0",
                BackendHeader.objectCount: "0", BackendHeader.bytesUsed: "0"]), on: .account)
            #expect(row.status == 404)
            #expect(try await cluster.send(cluster.request("GET", "AUTH_none")).status == 404)
            #expect(try await cluster.send(cluster.request("DELETE", "AUTH_none", headers: [
                BackendHeader.timestamp: ts(3).internal])).status == 404)
        }
    }
}
