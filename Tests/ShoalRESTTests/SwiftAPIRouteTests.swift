import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing
import ShoalCore
import ShoalPorts
import ShoalStorage
import ShoalSwiftAPI
@testable import ShoalREST

/// A tiny object store behind the pipeline: enough to see what the REST layer hands down
/// and what it makes of the answers, with TempAuth in front as in a node.
private actor MemoryBackend: StorageHandler {
    var objects: [String: (headers: HeaderFields, body: [UInt8])] = [:]
    var seen: [StorageRequest] = []

    func handle(_ request: StorageRequest) async -> StorageResponse {
        seen.append(request)
        let key = request.path
        switch request.method {
        case "PUT":
            let body = (try? await request.body?.collect(upTo: 1 << 24)) ?? []
            objects[key] = (request.headers, body)
            return StorageResponse(status: 201, headers: ["Content-Length": "0", "ETag": ETagHasher.hex(of: body)])
        case "GET", "HEAD":
            if request.object == nil, request.container != nil {
                return StorageResponse(status: 204, headers: ["X-Container-Read": ".r:*"])
            }
            guard let object = objects[key] else { return StorageResponse(status: 404, headers: ["Content-Length": "0"]) }
            return StorageResponse(status: 200, headers: ["Content-Length": String(object.body.count), "Content-Type": "text/plain"],
                                   body: .bytes(object.body, chunkSize: 3))
        case "DELETE":
            return StorageResponse(status: objects.removeValue(forKey: key) == nil ? 404 : 204)
        default:
            return StorageResponse(status: 405)
        }
    }

    func requests() -> [StorageRequest] { seen }
}

@Suite("Swift API routes")
struct SwiftAPIRouteTests {
    static let secret = ClusterSecret(phrase: "rest route tests")

    private func makeApp(_ backend: MemoryBackend) -> some ApplicationProtocol {
        let auth = TempAuth(next: backend, secret: Self.secret)
        let context = RESTContext(
            status: FixedStatus(status: NodeRouterTests.status), metrics: PrometheusCollectorRegistry(), capabilities: [:],
            swift: SwiftAPIContext(pipeline: auth, auth: auth, defaultHost: "node1:8080"))
        return Application(router: NodeRouter.build(context))
    }

    private func adminToken(_ client: some TestClientProtocol) async throws -> (token: String, url: String) {
        let key = Credentials(secret: Self.secret).adminKey
        return try await client.execute(uri: "/auth/v1.0", method: .get, headers: [
            .init("X-Auth-User")!: "admin:admin", .init("X-Auth-Key")!: key,
        ]) { response in
            #expect(response.status == .ok)
            return (response.headers[.init("X-Auth-Token")!] ?? "", response.headers[.init("X-Storage-Url")!] ?? "")
        }
    }

    @Test("auth/v1.0 gives the admin a token and a storage URL; a wrong key is a 401")
    func authentication() async throws {
        try await makeApp(MemoryBackend()).test(.router) { client in
            let (token, url) = try await adminToken(client)
            #expect(token.hasPrefix("AUTH_tk"))
            #expect(url == "http://localhost/v1/AUTH_admin")
            try await client.execute(uri: "/auth/v1.0", method: .get, headers: [
                .init("X-Auth-User")!: "admin:admin", .init("X-Auth-Key")!: "wrong",
            ]) { response in
                #expect(response.status == .unauthorized)
                #expect(NodeRouterTests.isTransactionID(response.headers[.init("X-Trans-Id")!]))
            }
        }
    }

    @Test("objects go down decoded with their body, and come back streamed; HEAD keeps the length")
    func objectRoundTrip() async throws {
        let backend = MemoryBackend()
        try await makeApp(backend).test(.router) { client in
            let (token, _) = try await adminToken(client)
            let auth: HTTPFields = [.init("X-Auth-Token")!: token]
            var putHeaders = auth
            putHeaders[.init("X-Object-Meta-Color")!] = "blue"
            try await client.execute(uri: "/v1/AUTH_admin/photos/a%20b/c%E2%98%83.txt?multipart-manifest=put&x=a+b",
                                     method: .put, headers: putHeaders, body: ByteBuffer(string: "hello, shoal")) { response in
                #expect(response.status == .created)
                #expect(response.headers[.eTag] == ETagHasher.hex(of: Array("hello, shoal".utf8)))
            }
            let put = await backend.requests().last { $0.method == "PUT" }
            #expect(put?.container == "photos")
            #expect(put?.object == "a b/c☃.txt")
            #expect(put?.query == ["multipart-manifest": "put", "x": "a b"])
            #expect(put?.headers["x-object-meta-color"] == "blue")
            try await client.execute(uri: "/v1/AUTH_admin/photos/a%20b/c%E2%98%83.txt", method: .get, headers: auth) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "hello, shoal")
            }
            try await client.execute(uri: "/v1/AUTH_admin/photos/a%20b/c%E2%98%83.txt", method: .head, headers: auth) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentLength] == "12")
                #expect(response.body.readableBytes == 0)
            }
        }
    }

    @Test("no token is a 401, another account's token a 403, public-read containers are readable anonymously")
    func authorization() async throws {
        let backend = MemoryBackend()
        try await makeApp(backend).test(.router) { client in
            try await client.execute(uri: "/v1/AUTH_test/c/o", method: .put, body: ByteBuffer(string: "x")) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/AUTH_test", method: .get, headers: [.init("X-Auth-Token")!: "AUTH_tkforged"]) { response in
                #expect(response.status == .unauthorized)
            }
            // The MemoryBackend's containers say X-Container-Read: .r:* — objects are public, listings are not.
            try await client.execute(uri: "/v1/AUTH_test/c/missing", method: .get) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/v1/AUTH_test/c", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/.shoal_auth/users/x", method: .get) { response in
                #expect(response.status == .forbidden)
            }
        }
    }

    @Test("users added through auth/v2 log in; their keys are stored only as digests")
    func userManagement() async throws {
        let backend = MemoryBackend()
        try await makeApp(backend).test(.router) { client in
            let (token, _) = try await adminToken(client)
            try await client.execute(uri: "/auth/v2/test/tester", method: .put, headers: [
                .init("X-Auth-Token")!: token, .init("X-Auth-User-Key")!: "testing", .init("X-Auth-User-Admin")!: "true",
            ]) { response in
                #expect(response.status == .created)
            }
            let stored = await backend.objects["/v1/.shoal_auth/users/test:tester"]
            let text = String(decoding: stored?.body ?? [], as: UTF8.self)
            #expect(text.contains("key_digest") && !text.contains("testing"))
            try await client.execute(uri: "/auth/v1.0", method: .get, headers: [
                .init("X-Auth-User")!: "test:tester", .init("X-Auth-Key")!: "testing",
            ]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.init("X-Storage-Url")!] == "http://localhost/v1/AUTH_test")
            }
            try await client.execute(uri: "/auth/v1.0", method: .get, headers: [
                .init("X-Auth-User")!: "test:tester", .init("X-Auth-Key")!: "nope",
            ]) { response in
                #expect(response.status == .unauthorized)
            }
            // Without a token nobody may add users.
            try await client.execute(uri: "/auth/v2/test/other", method: .put, headers: [.init("X-Auth-User-Key")!: "k"]) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("bad paths get Swift's errors")
    func badPaths() async throws {
        try await makeApp(MemoryBackend()).test(.router) { client in
            try await client.execute(uri: "/v1/AUTH_test/c/bad%00name", method: .get) { response in
                #expect(response.status == .preconditionFailed)
            }
            let long = String(repeating: "a", count: 257)
            try await client.execute(uri: "/v1/AUTH_test/\(long)", method: .get) { response in
                #expect(response.status == .badRequest)
            }
        }
    }
}
