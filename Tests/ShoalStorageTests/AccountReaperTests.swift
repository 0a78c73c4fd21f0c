import Logging
import ShoalCore
import ShoalPorts
import Testing
@testable import ShoalStorage

/// Deleting an account (a reseller's DELETE) and the reaper that then removes its
/// containers and objects, through the whole pipeline on the in-memory cluster.
struct AccountReaperTests {
    func reaper(_ stack: SwiftStack, node: Int) -> AccountReaper {
        AccountReaper(server: stack.storage.nodes[node].accountServer, cluster: stack.storage.cluster, proxy: stack.proxy,
                      logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), now: { stack.ticks.tick() })
    }

    @Test func deletingAnAccountRemovesItsContainersAndObjects() async throws {
        try await withSwiftStack { stack in
            let token = await stack.adminToken()
            let account = "AUTH_doomed"
            #expect(await stack.send("PUT", "/v1/\(account)/a", token: token).status == 201)
            #expect(await stack.send("PUT", "/v1/\(account)/b", token: token).status == 201)
            for index in 0..<5 {
                #expect(await stack.send("PUT", "/v1/\(account)/a/o\(index)", text: "x\(index)", token: token).status == 201)
            }
            #expect(await stack.send("PUT", "/v1/\(account)/b/only", text: "y", token: token).status == 201)
            await stack.settle()
            // Only a reseller may delete an account.
            #expect(await stack.send("DELETE", "/v1/\(account)", token: token).status == 204)

            // One node reaps: the one with the account's first primary.
            var passes: [AccountReaper.Pass] = []
            for node in stack.storage.nodes.indices { passes.append(await reaper(stack, node: node).runOnce()) }
            let total = passes.reduce(into: AccountReaper.Pass()) {
                $0.accounts += $1.accounts; $0.containers += $1.containers; $0.objects += $1.objects; $0.failures += $1.failures
            }
            #expect(total.accounts == 1 && total.containers == 2 && total.objects == 6 && total.failures == 0)
            #expect(await stack.send("GET", "/v1/\(account)/a/o0", token: token).status == 404)
            #expect(await stack.send("HEAD", "/v1/\(account)/a", token: token).status == 404)
            #expect(await stack.send("HEAD", "/v1/\(account)/b", token: token).status == 404)
            for node in stack.storage.nodes {
                for index in 0..<5 {
                    let key = ObjectKey(account: account, container: "a", object: "o\(index)", hasher: stack.storage.layout.hasher,
                                        partPower: stack.storage.layout.partPower)!
                    guard case .deleted = try await node.objects.head(key) else { Issue.record("o\(index) not deleted"); continue }
                }
            }
            // A second pass finds nothing left to do.
            for node in stack.storage.nodes.indices {
                #expect(await reaper(stack, node: node).runOnce() == AccountReaper.Pass())
            }
        }
    }

    @Test func anAccountsOwnAdminCannotDeleteIt() async throws {
        try await withSwiftStack { stack in
            #expect(await stack.createUser(account: "victim", user: "boss", key: "k", admin: true) / 100 == 2)
            let token = try #require(await stack.login("victim:boss", key: "k"))
            #expect(await stack.send("PUT", "/v1/AUTH_victim/keep", token: token).status == 201)
            let status = await stack.send("DELETE", "/v1/AUTH_victim", token: token).status
            #expect(status == 403 || status == 405)
            #expect(await stack.send("HEAD", "/v1/AUTH_victim/keep", token: token).status == 204)
        }
    }
}
