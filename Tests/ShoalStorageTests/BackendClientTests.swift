import Testing
import ShoalCore
import ShoalPorts
import ShoalSimulation
@testable import ShoalStorage

/// A server that answers with what it was sent: the method and path as headers, the body back.
private struct MirrorServer: BackendServer {
    func handle(_ head: BackendRequestHead, body: ChunkStream?) async -> StorageResponse {
        let bytes = (try? await body?.collect(upTo: 1 << 20)) ?? []
        var headers = head.headers
        headers["X-Seen-Method"] = head.method
        headers["X-Seen-Path"] = head.path
        headers["X-Seen-Query"] = head.query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        return StorageResponse(status: 201, headers: headers, body: .bytes(bytes, chunkSize: 7))
    }
}

struct BackendClientTests {
    let network = InMemoryNetwork(seed: 1)
    let serverAddress = ClusterAddress(host: "10.0.0.1", port: 7000)

    @Test func headsAndBodiesCrossTheTransport() async throws {
        let server = InMemoryTransport.attach(to: network, at: serverAddress)
        await server.register(BackendTransportHandler(server: MirrorServer()), for: .object)
        let client = BackendClient(transport: InMemoryTransport.attach(to: network, at: ClusterAddress(host: "10.0.0.2", port: 7000)))
        let head = BackendRequestHead(
            method: "PUT", device: DeviceID("n1-d0")!, partition: 5, account: "AUTH_test", container: "photos",
            object: "2026/cat.jpg", query: ["multipart-manifest": "put"], headers: ["X-Timestamp": "1700000000.00000"])
        let body = Array("the quick brown fox".utf8)
        let response = try await client.send(head, on: .object, to: serverAddress, body: .bytes(body, chunkSize: 4))
        #expect(response.status == 201)
        #expect(response.headers["x-seen-method"] == "PUT")
        #expect(response.headers["x-seen-path"] == "/n1-d0/5/AUTH_test/photos/2026/cat.jpg")
        #expect(response.headers["x-seen-query"] == "multipart-manifest=put")
        #expect(response.headers["x-timestamp"] == "1700000000.00000")
        #expect(try await response.body?.collect(upTo: 1 << 20) == body)
    }

    @Test func unreachableNodeAndUnregisteredChannelAreErrors() async throws {
        let client = BackendClient(transport: InMemoryTransport.attach(to: network, at: ClusterAddress(host: "10.0.0.2", port: 7000)),
                                   timeout: .seconds(2))
        let head = BackendRequestHead(method: "HEAD", device: DeviceID("n1-d0")!, partition: 0, account: "AUTH_test")
        await #expect(throws: TransportError.self) {
            _ = try await client.send(head, on: .account, to: ClusterAddress(host: "10.0.0.9", port: 7000))
        }
        let server = InMemoryTransport.attach(to: network, at: serverAddress)
        await server.register(BackendTransportHandler(server: MirrorServer()), for: .object)
        await #expect(throws: TransportError.self) {
            _ = try await client.send(head, on: .account, to: serverAddress)
        }
    }
}
