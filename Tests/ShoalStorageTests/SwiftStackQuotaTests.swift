import Testing
import ShoalCore
@testable import ShoalStorage

/// Container and account quotas through the whole stack.
@Suite struct SwiftStackQuotaTests {
    @Test func containerBytesQuota() async throws {
        try await withSwiftStack { stack in
            #expect(await stack.createContainer("c", headers: ["X-Container-Meta-Quota-Bytes": "10"]) == 201)
            #expect(await stack.putObject("c/a", "123456").status == 201)
            let over = await stack.putObject("c/b", "12345")
            #expect(over.status == 413)
            #expect(over.text.contains("Upload exceeds quota"))
            #expect(await stack.putObject("c/b", "1234").status == 201)
            #expect(await stack.listing("c") == ["a", "b"])
        }
    }

    @Test func containerCountQuota() async throws {
        try await withSwiftStack { stack in
            await stack.createContainer("c")
            let token = await stack.adminToken()
            #expect(await stack.send("POST", "/v1/AUTH_admin/c", headers: ["X-Container-Meta-Quota-Count": "2"], token: token).status == 204)
            #expect(await stack.putObject("c/1", "x").status == 201)
            #expect(await stack.putObject("c/2", "x").status == 201)
            #expect(await stack.putObject("c/3", "x").status == 413)
            #expect(await stack.listing("c") == ["1", "2"])
        }
    }

    @Test func invalidQuotaValuesAre400() async throws {
        try await withSwiftStack { stack in
            #expect(await stack.createContainer("c", headers: ["X-Container-Meta-Quota-Bytes": "lots"]) == 400)
            #expect(await stack.createContainer("c", headers: ["X-Container-Meta-Quota-Count": "-1"]) == 400)
            let token = await stack.adminToken()
            #expect(await stack.send("POST", "/v1/AUTH_admin", headers: ["X-Account-Meta-Quota-Bytes": "1.5"], token: token).status == 400)
        }
    }

    @Test func accountQuotaIsSetOnlyByAResellerAdmin() async throws {
        try await withSwiftStack { stack in
            #expect(await stack.createUser(account: "team", user: "owner", key: "owner-key", admin: true) == 201)
            let owner = try #require(await stack.login("team:owner", key: "owner-key"))
            #expect(await stack.send("PUT", "/v1/AUTH_team/c", token: owner).status == 201)
            // The account's own admin may set ordinary metadata but not its quota.
            #expect(await stack.send("POST", "/v1/AUTH_team", headers: ["X-Account-Meta-Color": "blue"], token: owner).status == 204)
            #expect(await stack.send("POST", "/v1/AUTH_team", headers: ["X-Account-Meta-Quota-Bytes": "100"], token: owner).status == 403)
            #expect(await stack.send("POST", "/v1/AUTH_team", headers: ["X-Remove-Account-Meta-Quota-Bytes": "x"], token: owner).status == 403)
            let admin = await stack.adminToken()
            #expect(await stack.send("POST", "/v1/AUTH_team", headers: ["X-Account-Meta-Quota-Bytes": "10"], token: admin).status == 204)
            let head = await stack.send("HEAD", "/v1/AUTH_team", token: owner)
            #expect(head.headers["X-Account-Meta-Quota-Bytes"] == "10")
            // Enforced once the account knows what it holds.
            #expect(await stack.send("PUT", "/v1/AUTH_team/c/a", text: "12345678", token: owner).status == 201)
            await stack.settle()
            #expect(await stack.send("HEAD", "/v1/AUTH_team", token: owner).headers["X-Account-Bytes-Used"] == "8")
            #expect(await stack.send("PUT", "/v1/AUTH_team/c/b", text: "12345", token: owner).status == 413)
            #expect(await stack.send("PUT", "/v1/AUTH_team/c/b", text: "12", token: owner).status == 201)
        }
    }
}
