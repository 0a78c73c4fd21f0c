import Foundation
import Synchronization
import Testing
import ShoalCore
@testable import ShoalIdentity
import ShoalKeystoneAPI
import ShoalPorts
@testable import ShoalStorage

/// The Identity API over records in the in-process cluster (three storage nodes, a real
/// proxy): the bootstrap, logins, CRUD with Keystone's refusals, grants, revocation reaching
/// another node's list, the login limiter, and Identity tokens on the Swift API.
struct IdentityAPITests {
    /// A settable clock in Unix seconds, starting at the real time (the Swift stack's
    /// TempAuth opens Identity tokens with the real clock).
    final class Clock: Sendable {
        let value = Mutex<Int64>(Int64(Date().timeIntervalSince1970))
        var now: Int64 { value.withLock { $0 } }
        func advance(_ seconds: Int64) { value.withLock { $0 += seconds } }
    }

    struct Node {
        let api: IdentityAPI
        let revocations: RevocationList
        let store: IdentityStore
    }

    static func node(_ stack: SwiftStack, clock: Clock,
                     announce: @escaping @Sendable (RevocationList.Event, Int64) async -> Void = { _, _ in }) -> Node {
        let revocations = RevocationList()
        let store = IdentityStore(backend: stack.proxy)
        var configuration = IdentityAPI.Configuration()
        configuration.passwordRounds = PasswordHash.minimumRounds
        let counter = Mutex<UInt8>(0)
        let api = IdentityAPI(store: store, secret: stack.secret, revocations: revocations, configuration: configuration,
                              now: { clock.now }, random: { count in
                                  counter.withLock { value in
                                      value &+= 1
                                      return (0..<count).map { UInt8(truncatingIfNeeded: Int($0) &* 31) ^ value }
                                  }
                              }, announce: announce)
        return Node(api: api, revocations: revocations, store: store)
    }

    static func call(_ api: IdentityAPI, _ method: String, _ path: String, body: JSONValue? = nil, token: String? = nil,
                     subject: String? = nil, query: [String: String] = [:]) async -> IdentityResponse {
        var headers: HeaderFields = [:]
        if let token { headers["X-Auth-Token"] = token }
        if let subject { headers["X-Subject-Token"] = subject }
        let bytes = body.map { Array(try! JSONEncoder().encode($0)) } ?? []
        return await api.handle(IdentityRequest(method: method, path: path.split(separator: "/").map(String.init), query: query,
                                                headers: headers, body: bytes, nodeURL: "http://node.test:8080"))
    }

    static func login(_ api: IdentityAPI, user: String, password: String, project: String) async -> IdentityResponse {
        await call(api, "POST", "v3/auth/tokens", body: [
            "auth": ["identity": ["methods": ["password"], "password": ["user": ["name": .string(user), "domain": ["id": "default"],
                                                                                   "password": .string(password)]]],
                     "scope": ["project": ["name": .string(project), "domain": ["name": "Default"]]]]])
    }

    func withIdentity(_ body: (SwiftStack, Node, Clock) async throws -> Void) async throws {
        try await withSwiftStack { stack in
            let clock = Clock()
            let node = Self.node(stack, clock: clock)
            var random = SystemRandomNumberGenerator()
            for _ in 0..<2 {  // a second run (another node, a restart) changes nothing
                try await Bootstrap.run(store: node.store, secret: stack.secret, passwordRounds: PasswordHash.minimumRounds,
                                        salt: (0..<16).map { _ in random.next() })
            }
            try await body(stack, node, clock)
        }
    }

    /// A password is hashed and checked off Swift's cooperative pool (a third of a second of
    /// CPU each at the default rounds): on a queue of its own, outside any task.
    @Test func passwordsAreHashedOffTheCooperativePool() async {
        #expect(withUnsafeCurrentTask { $0 != nil }, "the test itself runs in a task")
        #expect(await PasswordWork.run { withUnsafeCurrentTask { $0 == nil } })
        let stored = await PasswordWork.make("correct horse", salt: Array(repeating: 7, count: 16), rounds: PasswordHash.minimumRounds)
        #expect(stored == PasswordHash.make("correct horse", salt: Array(repeating: 7, count: 16), rounds: PasswordHash.minimumRounds))
        #expect(await PasswordWork.verify("correct horse", against: stored))
        #expect(!(await PasswordWork.verify("battery staple", against: stored)))
    }

    @Test func theBootstrapAdminLogsInAndGetsKeystonesTokenDocument() async throws {
        try await withIdentity { stack, node, clock in
            let password = Bootstrap.adminPassword(secret: stack.secret)
            let response = await Self.login(node.api, user: "admin", password: password, project: "admin")
            #expect(response.status == 201)
            let token = try #require(response.headers["X-Subject-Token"])
            let document = try #require(response.body?["token"])
            #expect(document["user"]?["name"] == "admin" && document["project"]?["name"] == "admin")
            #expect(Set(document["roles"]?.array?.compactMap { $0["name"]?.string } ?? []) == ["admin", "member", "reader"])
            #expect(document["expires_at"]?.string == KeystoneTime.format(clock.now + 3600))
            let types = document["catalog"]?.array?.compactMap { $0["type"]?.string }.sorted()
            #expect(types == ["compute", "identity", "image", "object-store"])
            let urls = document["catalog"]?.array?.flatMap { $0["endpoints"]?.array ?? [] }.compactMap { $0["url"]?.string } ?? []
            let projectID = try #require(document["project"]?["id"]?.string)
            #expect(urls.contains("http://node.test:8080/v1/AUTH_\(projectID)") && urls.contains("http://node.test:8080/identity/v3"))
            // Only one admin, one of each role, whatever the number of bootstraps.
            let users = await Self.call(node.api, "GET", "v3/users", token: token, query: ["name": "admin"])
            #expect(users.body?["users"]?.array?.count == 1)
            let roles = await Self.call(node.api, "GET", "v3/roles", token: token)
            #expect(roles.body?["roles"]?.array?.count == 5)
            // Validation of itself, and Keystone's 404 for a token that is not one.
            #expect(await Self.call(node.api, "GET", "v3/auth/tokens", token: token, subject: token).status == 200)
            let bad = await Self.call(node.api, "GET", "v3/auth/tokens", token: token, subject: "gAAAAnope")
            #expect(bad.status == 404 && bad.body?["error"]?["message"] == "Could not recognize Fernet token")
            let wrong = await Self.login(node.api, user: "admin", password: "nope", project: "admin")
            #expect(wrong.status == 401 && wrong.headers["WWW-Authenticate"] == "Keystone uri=\"http://node.test:8080/identity/v3\"")
        }
    }

    @Test func projectsUsersAndGrantsWithKeystonesRefusals() async throws {
        try await withIdentity { stack, node, _ in
            let admin = try #require(await Self.login(node.api, user: "admin", password: Bootstrap.adminPassword(secret: stack.secret),
                                                     project: "admin").headers["X-Subject-Token"])
            let project = await Self.call(node.api, "POST", "v3/projects", body: ["project": ["name": "demo"]], token: admin)
            #expect(project.status == 201 && project.body?["project"]?["parent_id"] == "default")
            let projectID = try #require(project.body?["project"]?["id"]?.string)
            let duplicate = await Self.call(node.api, "POST", "v3/projects", body: ["project": ["name": "demo"]], token: admin)
            #expect(duplicate.status == 409 && duplicate.body?["error"]?["title"] == "Conflict")
            let user = await Self.call(node.api, "POST", "v3/users", body: ["user": ["name": "alice", "password": "pw-1"]], token: admin)
            let userID = try #require(user.body?["user"]?["id"]?.string)
            #expect(user.status == 201 && user.body?["user"]?["password_hash"] == nil && user.body?["user"]?["password"] == nil)

            // No role, no project scope; with the grant, a member token.
            #expect(await Self.login(node.api, user: "alice", password: "pw-1", project: "demo").status == 401)
            let roles = await Self.call(node.api, "GET", "v3/roles", token: admin, query: ["name": "member"])
            let member = try #require(roles.body?["roles"]?.array?.first?["id"]?.string)
            #expect(await Self.call(node.api, "PUT", "v3/projects/\(projectID)/users/\(userID)/roles/\(member)", token: admin).status == 204)
            #expect(await Self.call(node.api, "HEAD", "v3/projects/\(projectID)/users/\(userID)/roles/\(member)", token: admin).status == 204)
            let login = await Self.login(node.api, user: "alice", password: "pw-1", project: "demo")
            #expect(login.status == 201)
            let alice = try #require(login.headers["X-Subject-Token"])
            #expect(Set(login.body?["token"]?["roles"]?.array?.compactMap { $0["name"]?.string } ?? []) == ["member", "reader"])

            // A member may not manage identity, but may see itself.
            let refused = await Self.call(node.api, "POST", "v3/projects", body: ["project": ["name": "mine"]], token: alice)
            #expect(refused.status == 403 && refused.body?["error"]?["message"] == "You are not authorized to perform the requested action: identity:create_project.")
            #expect(await Self.call(node.api, "GET", "v3/users/\(userID)", token: alice).status == 200)
            #expect(await Self.call(node.api, "GET", "v3/users", token: alice).status == 403)
            let missing = await Self.call(node.api, "GET", "v3/projects/nope", token: admin)
            #expect(missing.status == 404 && missing.body?["error"]?["message"] == "Could not find project: nope.")
            let malformed = await Self.call(node.api, "POST", "v3/projects", body: ["project": ["description": "no name"]], token: admin)
            #expect(malformed.status == 400)

            // The Identity token opens the project's account in the object store, and no other.
            let own = await stack.send("PUT", "/v1/AUTH_\(projectID)/photos", token: alice)
            #expect(own.status == 201)
            #expect(await stack.send("PUT", "/v1/AUTH_someone-else/photos", token: alice).status == 403)

            // Removing the grant revokes alice's tokens (everything issued to her so far).
            #expect(await Self.call(node.api, "DELETE", "v3/projects/\(projectID)/users/\(userID)/roles/\(member)", token: admin).status == 204)
            #expect(await Self.call(node.api, "GET", "v3/auth/tokens", token: admin, subject: alice).status == 404)
            #expect(await Self.login(node.api, user: "alice", password: "pw-1", project: "demo").status == 401)
        }
    }

    @Test func groupGrantsReachTheirMembers() async throws {
        try await withIdentity { stack, node, _ in
            let admin = try #require(await Self.login(node.api, user: "admin", password: Bootstrap.adminPassword(secret: stack.secret),
                                                     project: "admin").headers["X-Subject-Token"])
            func id(_ response: IdentityResponse, _ member: String) throws -> String {
                try #require(response.body?[member]?["id"]?.string)
            }
            let project = try id(await Self.call(node.api, "POST", "v3/projects", body: ["project": ["name": "team"]], token: admin), "project")
            let user = try id(await Self.call(node.api, "POST", "v3/users", body: ["user": ["name": "bob", "password": "pw-2"]], token: admin), "user")
            let group = try id(await Self.call(node.api, "POST", "v3/groups", body: ["group": ["name": "devs"]], token: admin), "group")
            let roles = await Self.call(node.api, "GET", "v3/roles", token: admin, query: ["name": "reader"])
            let reader = try #require(roles.body?["roles"]?.array?.first?["id"]?.string)
            #expect(await Self.call(node.api, "PUT", "v3/projects/\(project)/groups/\(group)/roles/\(reader)", token: admin).status == 204)
            #expect(await Self.login(node.api, user: "bob", password: "pw-2", project: "team").status == 401, "not a member yet")
            #expect(await Self.call(node.api, "PUT", "v3/groups/\(group)/users/\(user)", token: admin).status == 204)
            let login = await Self.login(node.api, user: "bob", password: "pw-2", project: "team")
            #expect(login.status == 201 && login.body?["token"]?["roles"]?.array?.compactMap { $0["name"]?.string } == ["reader"])
            let bob = try #require(login.headers["X-Subject-Token"])

            let direct = await Self.call(node.api, "GET", "v3/role_assignments", token: admin, query: ["scope.project.id": project])
            #expect(direct.body?["role_assignments"]?.array?.compactMap { $0["group"]?["id"]?.string } == [group])
            let effective = await Self.call(node.api, "GET", "v3/role_assignments", token: admin,
                                            query: ["scope.project.id": project, "effective": ""])
            let entry = try #require(effective.body?["role_assignments"]?.array?.first)
            #expect(entry["user"]?["id"]?.string == user && entry["links"]?["membership"] != nil)
            let groups = await Self.call(node.api, "GET", "v3/users/\(user)/groups", token: bob)
            #expect(groups.body?["groups"]?.array?.compactMap { $0["name"]?.string } == ["devs"])

            // Leaving the group takes the role, and the tokens that carried it.
            #expect(await Self.call(node.api, "DELETE", "v3/groups/\(group)/users/\(user)", token: admin).status == 204)
            #expect(await Self.call(node.api, "GET", "v3/auth/tokens", token: admin, subject: bob).status == 404)
            #expect(await Self.login(node.api, user: "bob", password: "pw-2", project: "team").status == 401)
        }
    }

    @Test func aRevocationReachesAnotherNodeAndTheLimiterLocksOutGuessing() async throws {
        try await withIdentity { stack, node, clock in
            let password = Bootstrap.adminPassword(secret: stack.secret)
            let token = try #require(await Self.login(node.api, user: "admin", password: password, project: "admin").headers["X-Subject-Token"])
            let other = Self.node(stack, clock: clock)
            let gossiped = Mutex<[[UInt8]]>([])
            let origin = Self.node(stack, clock: clock, announce: { event, time in
                gossiped.withLock { $0.append(RevocationList.announcement(event, at: time)) }
            })
            #expect(await Self.call(other.api, "GET", "v3/auth/tokens", token: token, subject: token).status == 200)
            #expect(await Self.call(origin.api, "DELETE", "v3/auth/tokens", token: token, subject: token).status == 204)
            // A node hearing the gossip refuses the token at once.
            let hearer = Self.node(stack, clock: clock)
            let announcements = gossiped.withLock { $0 }
            #expect(announcements.count == 1)
            for bytes in announcements {
                let (event, time) = try #require(RevocationList.parseAnnouncement(bytes))
                #expect(hearer.revocations.record(event, at: time))
            }
            #expect(await Self.call(hearer.api, "GET", "v3/projects", token: token).status == 401)
            // A node that missed the gossip learns it from the store on its next sync.
            let sync = RevocationSync(store: other.store, revocations: other.revocations, logger: .init(label: "test"))
            #expect(await sync.syncOnce() == 1)
            #expect(await sync.syncOnce() == 0, "an event read once is not read again")
            #expect(await Self.call(other.api, "GET", "v3/projects", token: token).status == 401)

            // An expired token: 404 as a subject, 401 as a caller.
            let fresh = try #require(await Self.login(node.api, user: "admin", password: password, project: "admin").headers["X-Subject-Token"])
            clock.advance(3601)
            let expired = await Self.call(node.api, "GET", "v3/auth/tokens", token: fresh, subject: fresh)
            #expect(expired.status == 401)
            let later = try #require(await Self.login(node.api, user: "admin", password: password, project: "admin").headers["X-Subject-Token"])
            let subject = await Self.call(node.api, "GET", "v3/auth/tokens", token: later, subject: fresh)
            #expect(subject.status == 404 && subject.body?["error"]?["message"] == "Failed to validate token")

            for _ in 0..<6 { #expect(await Self.login(node.api, user: "admin", password: "guess", project: "admin").status == 401) }
            #expect(await Self.login(node.api, user: "admin", password: password, project: "admin").status == 401, "locked out")
            clock.advance(61)
            #expect(await Self.login(node.api, user: "admin", password: password, project: "admin").status == 201)
        }
    }
}
