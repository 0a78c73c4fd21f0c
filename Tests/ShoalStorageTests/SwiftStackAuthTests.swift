import Testing
import ShoalCore
import ShoalPorts
import ShoalSwiftAPI
import Synchronization
@testable import ShoalStorage

/// TempAuth at its place in the stack: tokens, account ownership, ACLs, the reserved account.
@Suite struct SwiftStackAuthTests {
    @Test func missingOrForgedTokenIs401() async throws {
        try await withSwiftStack { stack in
            await stack.createContainer("c")
            await stack.putObject("c/o", "secret")
            #expect(await stack.send("GET", "/v1/AUTH_admin/c/o").status == 401)
            #expect(await stack.send("GET", "/v1/AUTH_admin/c").status == 401)
            #expect(await stack.send("PUT", "/v1/AUTH_admin/c/o2", text: "x").status == 401)
            #expect(await stack.send("GET", "/v1/AUTH_admin/c/o", token: "AUTH_tkforged").status == 401)
            #expect(await stack.login("admin:admin", key: "wrong") == nil)
            // Nothing was written by the refused PUT.
            #expect(await stack.listing("c") == ["o"])
        }
    }

    @Test func createdUserLogsInAndIsConfinedToItsAccount() async throws {
        try await withSwiftStack { stack in
            #expect(await stack.createUser(account: "team", user: "owner", key: "owner-key", admin: true) == 201)
            #expect(await stack.createUser(account: "team", user: "bob", key: "bob-key") == 201)
            #expect(await stack.login("team:bob", key: "wrong") == nil)
            let owner = try #require(await stack.login("team:owner", key: "owner-key"))
            let bob = try #require(await stack.login("team:bob", key: "bob-key"))

            // The account's admin owns AUTH_team.
            #expect(await stack.send("PUT", "/v1/AUTH_team/docs", token: owner).status == 201)
            #expect(await stack.send("PUT", "/v1/AUTH_team/docs/readme", text: "hello", token: owner).status == 201)
            // Another account's users get 403, the owner too.
            await stack.createContainer("c")
            #expect(await stack.send("GET", "/v1/AUTH_admin/c", token: owner).status == 403)
            #expect(await stack.send("PUT", "/v1/AUTH_admin/c/o", text: "x", token: bob).status == 403)
            #expect(await stack.send("HEAD", "/v1/AUTH_admin", token: bob).status == 403)
            // A plain user needs an ACL, even in its own account.
            #expect(await stack.send("GET", "/v1/AUTH_team/docs/readme", token: bob).status == 403)
            #expect(await stack.send("POST", "/v1/AUTH_team/docs", headers: ["X-Container-Read": "team:bob"], token: owner).status == 204)
            let read = await stack.send("GET", "/v1/AUTH_team/docs/readme", token: bob)
            #expect(read.status == 200)
            #expect(read.text == "hello")
            #expect(await stack.send("PUT", "/v1/AUTH_team/docs/other", text: "x", token: bob).status == 403)
        }
    }

    @Test func nonAdminCannotCreateUsers() async throws {
        try await withSwiftStack { stack in
            await stack.createUser(account: "team", user: "bob", key: "bob-key")
            let bob = stack.pipeline.auth.identity(token: await stack.login("team:bob", key: "bob-key"))
            #expect(bob != nil)
            #expect(await stack.pipeline.auth.putUser(account: "team", user: "eve", key: "k", admin: false, resellerAdmin: false,
                                                      requester: bob).status == 403)
            #expect(await stack.pipeline.auth.putUser(account: "team", user: "eve", key: "k", admin: false, resellerAdmin: false,
                                                      requester: nil).status == 401)
            #expect(await stack.login("team:eve", key: "k") == nil)
        }
    }

    @Test func reservedAccountIsUnreachableEvenForTheAdmin() async throws {
        try await withSwiftStack { stack in
            #expect(await stack.createUser(account: "team", user: "bob", key: "bob-key") == 201)
            let token = await stack.adminToken()
            #expect(await stack.send("GET", "/v1/.shoal_auth/users", token: token).status == 403)
            #expect(await stack.send("GET", "/v1/.shoal_auth/users/team:bob", token: token).status == 403)
            #expect(await stack.send("PUT", "/v1/.shoal_auth/users/team:eve", text: "{}", token: token).status == 403)
            #expect(await stack.send("DELETE", "/v1/.shoal_auth/users/team:bob", token: token).status == 403)
            #expect(await stack.send("HEAD", "/v1/.shoal_auth", token: token).status == 403)
            // ... and bob's record is still there.
            #expect(await stack.login("team:bob", key: "bob-key") != nil)
        }
    }

    @Test func publicReadACL() async throws {
        try await withSwiftStack { stack in
            let token = await stack.adminToken()
            await stack.createContainer("public", headers: ["X-Container-Read": ".r:*"])
            await stack.putObject("public/page", "hi")
            let read = await stack.send("GET", "/v1/AUTH_admin/public/page")
            #expect(read.status == 200)
            #expect(read.text == "hi")
            // No listings without .rlistings, and no writes.
            #expect(await stack.send("GET", "/v1/AUTH_admin/public").status == 401)
            #expect(await stack.send("PUT", "/v1/AUTH_admin/public/x", text: "x").status == 401)
            #expect(await stack.send("POST", "/v1/AUTH_admin/public", headers: ["X-Container-Read": ".r:*,.rlistings"], token: token).status == 204)
            #expect(await stack.send("GET", "/v1/AUTH_admin/public").text == "page\n")
        }
    }

    /// A user who may write one container must not read another through a large object:
    /// Swift authorizes every segment subrequest as the user.
    @Test func largeObjectSegmentsAreAuthorizedAsTheUser() async throws {
        try await withSwiftStack { stack in
            #expect(await stack.createUser(account: "admin", user: "bob", key: "bob-key") == 201)
            let bob = try #require(await stack.login("admin:bob", key: "bob-key"))
            await stack.createContainer("private")
            await stack.putObject("private/secret", "top secret")
            await stack.createContainer("shared", headers: ["X-Container-Read": "admin:bob", "X-Container-Write": "admin:bob"])
            #expect(await stack.send("GET", "/v1/AUTH_admin/private/secret", token: bob).status == 403)
            // Segment subrequests are authorized as the requester: neither kind of manifest leaks.
            do {
                let slo = await stack.send("PUT", "/v1/AUTH_admin/shared/slo?multipart-manifest=put",
                                           text: #"[{"path": "/private/secret"}]"#, token: bob)
                let sloRead = await stack.send("GET", "/v1/AUTH_admin/shared/slo", token: bob)
                #expect(!(slo.status == 201 && sloRead.text == "top secret"), "SLO leaked another container")
                let dlo = await stack.send("PUT", "/v1/AUTH_admin/shared/dlo", headers: ["X-Object-Manifest": "private/"], body: [], token: bob)
                #expect(dlo.status == 201)
                let dloRead = await stack.send("GET", "/v1/AUTH_admin/shared/dlo", token: bob)
                #expect(dloRead.text != "top secret", "DLO leaked another container")
            }
        }
    }
}

/// TempAuth's table of opened tokens keeps the sealer's rules: expiry holds for a token
/// seen before, and nothing refused is kept.
@Suite struct TempAuthTokenTableTests {
    struct Nothing: StorageHandler {
        func handle(_ request: StorageRequest) async -> StorageResponse { .empty(204) }
    }

    @Test func aTokenSeenBeforeStillExpiresAndAForgedOneIsNeverKept() throws {
        let secret = ClusterSecret(phrase: "token table test")
        let clock = Mutex<Int64>(100)
        let auth = TempAuth(next: Nothing(), secret: secret, now: { clock.withLock { $0 } })
        let identity = AuthIdentity(account: "AUTH_a", user: "u", groups: ["a:u"], expiresAt: 200)
        let token = try AuthTokenSealer(secret: secret).seal(identity, nonce: Array(repeating: 7, count: 12))
        #expect(auth.identity(token: token) == identity)
        #expect(auth.identity(token: token) == identity)
        clock.withLock { $0 = 200 }
        #expect(auth.identity(token: token) == nil)
        let other = try AuthTokenSealer(secret: ClusterSecret(phrase: "another cluster")).seal(identity, nonce: Array(repeating: 7, count: 12))
        clock.withLock { $0 = 150 }
        #expect(auth.identity(token: other) == nil)
        #expect(auth.identity(token: other) == nil)
        #expect(auth.opened.identity(of: other, now: 150) == nil)
        #expect(auth.identity(token: token) == identity)
    }

    @Test func theTableEmptiesWhenFull() {
        let table = OpenedTokens()
        let identity = AuthIdentity(account: "AUTH_a", user: "u", groups: [], expiresAt: 10)
        for index in 0..<OpenedTokens.capacity { table.keep(identity, of: "t\(index)") }
        #expect(table.identity(of: "t0", now: 5) == identity)
        table.keep(identity, of: "one more")
        #expect(table.identity(of: "t0", now: 5) == nil)
        #expect(table.identity(of: "one more", now: 5) == identity)
    }
}
