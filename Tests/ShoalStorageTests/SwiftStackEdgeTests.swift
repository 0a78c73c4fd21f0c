import Testing
import ShoalCore
@testable import ShoalStorage

/// CORS and the gatekeeper, at the top of the stack.
@Suite struct SwiftStackCORSTests {
    @Test func preflightAllowedAndDenied() async throws {
        try await withSwiftStack { stack in
            await stack.createContainer("web", headers: ["X-Container-Meta-Access-Control-Allow-Origin": "https://app.example",
                                                         "X-Container-Meta-Access-Control-Max-Age": "600"])
            await stack.createContainer("closed")
            // No token: preflights are never authenticated.
            let allowed = await stack.send("OPTIONS", "/v1/AUTH_admin/web/o",
                                           headers: ["Origin": "https://app.example", "Access-Control-Request-Method": "PUT",
                                                     "Access-Control-Request-Headers": "x-auth-token"])
            #expect(allowed.status == 200)
            #expect(allowed.headers["Access-Control-Allow-Origin"] == "https://app.example")
            #expect(allowed.headers["Access-Control-Allow-Methods"]?.contains("PUT") == true)
            #expect(allowed.headers["Access-Control-Allow-Headers"] == "x-auth-token")
            #expect(allowed.headers["Access-Control-Max-Age"] == "600")
            let otherOrigin = await stack.send("OPTIONS", "/v1/AUTH_admin/web/o",
                                               headers: ["Origin": "https://evil.example", "Access-Control-Request-Method": "GET"])
            #expect(otherOrigin.status == 401)
            #expect(otherOrigin.headers["Access-Control-Allow-Origin"] == nil)
            let closed = await stack.send("OPTIONS", "/v1/AUTH_admin/closed/o",
                                          headers: ["Origin": "https://app.example", "Access-Control-Request-Method": "GET"])
            #expect(closed.status == 401)
            let badMethod = await stack.send("OPTIONS", "/v1/AUTH_admin/web/o",
                                             headers: ["Origin": "https://app.example", "Access-Control-Request-Method": "PATCH"])
            #expect(badMethod.status == 401)
        }
    }

    @Test func actualResponsesCarryAllowOriginForAllowedOrigins() async throws {
        try await withSwiftStack { stack in
            await stack.createContainer("web", headers: ["X-Container-Meta-Access-Control-Allow-Origin": "https://app.example",
                                                         "X-Container-Meta-Access-Control-Expose-Headers": "X-Custom"])
            await stack.putObject("web/o", "hello", headers: ["X-Object-Meta-Tag": "t"])
            let allowed = await stack.get("web/o", headers: ["Origin": "https://app.example"])
            #expect(allowed.status == 200)
            #expect(allowed.text == "hello")
            #expect(allowed.headers["Access-Control-Allow-Origin"] == "https://app.example")
            let exposed = allowed.headers["Access-Control-Expose-Headers"] ?? ""
            #expect(exposed.contains("etag"))
            #expect(exposed.contains("x-object-meta-tag"))
            #expect(exposed.contains("x-custom"))
            let other = await stack.get("web/o", headers: ["Origin": "https://evil.example"])
            #expect(other.status == 200)
            #expect(other.headers["Access-Control-Allow-Origin"] == nil)
            let noOrigin = await stack.get("web/o")
            #expect(noOrigin.headers["Access-Control-Allow-Origin"] == nil)
        }
    }
}

@Suite struct SwiftStackGatekeeperTests {
    @Test func clientSentReservedHeadersAreStrippedAndNeverEchoed() async throws {
        try await withSwiftStack { stack in
            await stack.createContainer("c")
            let reserved: HeaderFields = [
                "X-Backend-Storage-Policy-Index": "1", "X-Object-Sysmeta-Secret": "planted",
                "X-Object-Transient-Sysmeta-Crypto": "planted", "X-Container-Sysmeta-Thing": "planted",
                "X-Object-Meta-Ok": "yes",
            ]
            let put = await stack.putObject("c/o", "body", headers: reserved)
            #expect(put.status == 201)
            let get = await stack.get("c/o")
            #expect(get.status == 200)
            #expect(get.headers["X-Object-Meta-Ok"] == "yes")
            for field in get.headers {
                let name = field.name.lowercased()
                #expect(!name.hasPrefix("x-backend-"), "\(name) leaked")
                #expect(!name.contains("sysmeta"), "\(name) leaked")
            }
            // Nor did the planted sysmeta reach the object server.
            for index in stack.storage.nodes.indices {
                let answer = try await stack.storage.send(stack.storage.request("HEAD", "AUTH_admin/c/o", on: index))
                #expect(answer.status == 200)
                #expect(answer.headers["X-Object-Sysmeta-Secret"] == nil)
                #expect(answer.headers["X-Object-Transient-Sysmeta-Crypto"] == nil)
            }
            // A container POST cannot plant container sysmeta either.
            let token = await stack.adminToken()
            #expect(await stack.send("POST", "/v1/AUTH_admin/c", headers: ["X-Container-Sysmeta-Versions-Location": "x"], token: token).status == 204)
            let container = await stack.send("HEAD", "/v1/AUTH_admin/c", token: token)
            #expect(!container.headers.fields.contains { $0.name.lowercased().contains("sysmeta") })
        }
    }

    @Test func sloSysmetaIsNotEchoedOnManifests() async throws {
        try await withSwiftStack { stack in
            await stack.createContainer("c")
            await stack.putObject("c/seg", "abc")
            let token = await stack.adminToken()
            #expect(await stack.send("PUT", "/v1/AUTH_admin/c/m?multipart-manifest=put", text: #"[{"path": "/c/seg"}]"#, token: token).status == 201)
            for query in [[:], ["multipart-manifest": "get"]] {
                let reply = await stack.send("GET", "/v1/AUTH_admin/c/m", query: query, token: token)
                #expect(reply.status == 200)
                #expect(!reply.headers.fields.contains { $0.name.lowercased().contains("sysmeta") || $0.name.lowercased().hasPrefix("x-backend") })
            }
        }
    }
}
