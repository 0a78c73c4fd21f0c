import Synchronization
import Testing
import ShoalCore
import ShoalPorts
@testable import ShoalStorage

/// The account and container HEAD answers the middlewares share, and how the quota
/// middleware uses them.
@Suite struct InfoCacheTests {
    /// Answers HEADs with the headers set for their path, counting them, and holds them
    /// while a gate is set; answers 201 to anything else.
    final class Backend: StorageHandler {
        let headers: [String: HeaderFields]
        let heads = Mutex<[String: Int]>([:])
        let gate = Mutex<AsyncGate?>(nil)

        init(headers: [String: HeaderFields] = [:]) {
            self.headers = headers
        }

        func handle(_ request: StorageRequest) async -> StorageResponse {
            guard request.method == "HEAD" else { return StorageResponse(status: 201) }
            heads.withLock { $0[request.path, default: 0] += 1 }
            if let gate = gate.withLock({ $0 }) { await gate.wait() }
            return StorageResponse(status: 204, headers: headers[request.path] ?? HeaderFields())
        }

        func count(_ path: String) -> Int { heads.withLock { $0[path] ?? 0 } }
    }

    @Test func missesWhileAHeadIsOutWaitForIt() async {
        let backend = Backend(headers: ["/v1/AUTH_a/c": ["X-Container-Object-Count": "7"]])
        let gate = AsyncGate()
        backend.gate.withLock { $0 = gate }
        let cache = InfoCache()
        await withTaskGroup(of: String?.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    await cache.info(account: "AUTH_a", container: "c", next: backend, environment: [:]).headers["X-Container-Object-Count"]
                }
            }
            let allWaiting = await waitUntil { await cache.joined == 31 }
            #expect(allWaiting)
            gate.open()
            for await count in group { #expect(count == "7") }
        }
        #expect(backend.count("/v1/AUTH_a/c") == 1)
        // Kept: the next caller gets it without a HEAD.
        _ = await cache.info(account: "AUTH_a", container: "c", next: backend, environment: [:])
        #expect(backend.count("/v1/AUTH_a/c") == 1)
    }

    @Test func anAnswerReadBeforeAnInvalidationIsNotKept() async {
        let backend = Backend()
        let gate = AsyncGate()
        backend.gate.withLock { $0 = gate }
        let cache = InfoCache()
        async let first = cache.info(account: "AUTH_a", container: "c", next: backend, environment: [:])
        #expect(await waitUntil { backend.count("/v1/AUTH_a/c") == 1 })
        await cache.invalidate(account: "AUTH_a", container: "c")
        gate.open()
        #expect(await first.status == 204)
        _ = await cache.info(account: "AUTH_a", container: "c", next: backend, environment: [:])
        #expect(backend.count("/v1/AUTH_a/c") == 2)
    }

    /// Twenty object PUTs through the quota middleware, then the HEADs the backend saw.
    func heads(after puts: Int, headers: [String: HeaderFields]) async -> (container: Int, account: Int) {
        let backend = Backend(headers: headers)
        let quotas = Quotas(next: backend, cache: InfoCache())
        for index in 0..<puts {
            let response = await quotas.handle(StorageRequest(
                method: "PUT", account: "AUTH_a", container: "c", object: "o\(index)", headers: ["Content-Length": "1"]))
            #expect(response.status == 201)
        }
        return (backend.count("/v1/AUTH_a/c"), backend.count("/v1/AUTH_a"))
    }

    @Test func writesRereadOnlyTheCountsAQuotaNeeds() async {
        let none = await heads(after: 20, headers: [:])
        #expect(none.container == 1 && none.account == 1)
        let container = await heads(after: 20, headers: ["/v1/AUTH_a/c": ["X-Container-Meta-Quota-Count": "100"]])
        #expect(container.container == 20 && container.account == 1)
        let account = await heads(after: 20, headers: ["/v1/AUTH_a": ["X-Account-Meta-Quota-Bytes": "1000"]])
        #expect(account.container == 1 && account.account == 20)
    }
}
