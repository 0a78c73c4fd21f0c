import Foundation
import ShoalCore
import ShoalPorts

/// Account and container HEAD answers kept for a few seconds, as Swift keeps them in
/// memcache (`get_container_info`), so middlewares that consult metadata on every write
/// (quotas, versioning, CORS) cost one backend round trip per container per few seconds.
/// Requests that miss while a HEAD for the same key is on its way wait for that one
/// instead of sending their own: at a TTL's end, a client's 32 concurrent PUTs into one
/// container would otherwise send 32 HEADs to the container and 32 to the account.
actor InfoCache {
    typealias Answer = (status: Int, headers: HeaderFields)

    struct Entry {
        let status: Int
        let headers: HeaderFields
        let expires: ContinuousClock.Instant
    }

    /// A HEAD on its way; `id` tells a fetch whether it is still the one its key waits for.
    struct Fetch {
        let id: UInt64
        let task: Task<Answer, Never>
    }

    private var entries: [String: Entry] = [:]
    private var fetches: [String: Fetch] = [:]
    private var lastFetch: UInt64 = 0
    private let ttl: Duration
    private let capacity: Int
    private let clock = ContinuousClock()

    init(ttl: Duration = .seconds(3), capacity: Int = 4_096) {
        self.ttl = ttl
        self.capacity = capacity
    }

    /// Callers that found a HEAD for their key on its way and waited for it (for tests).
    private(set) var joined = 0

    /// The HEAD answer for `account` (and `container`), from the cache or from `next`.
    func info(account: String, container: String?, next: any StorageHandler, environment: [String: String]) async -> Answer {
        let key = Self.key(account: account, container: container)
        if let entry = entries[key], entry.expires > clock.now { return (entry.status, entry.headers) }
        if let fetch = fetches[key] {
            joined += 1
            return await fetch.task.value
        }
        lastFetch += 1
        let id = lastFetch
        let request = StorageRequest(method: "HEAD", account: account, container: container, environment: environment)
        let task = Task<Answer, Never> {
            let response = await next.handle(request)
            return (response.status, response.headers)
        }
        fetches[key] = Fetch(id: id, task: task)
        let answer = await task.value
        // An invalidation while the HEAD was out dropped this fetch: what it read may be
        // older than the change, so it answers its waiters but is not kept.
        guard fetches[key]?.id == id else { return answer }
        fetches[key] = nil
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        if answer.status < 500 { entries[key] = Entry(status: answer.status, headers: answer.headers, expires: clock.now + ttl) }
        return answer
    }

    /// Forgets what is known about `account` (and `container`) after this node changed it.
    func invalidate(account: String, container: String?) {
        let key = Self.key(account: account, container: container)
        entries[key] = nil
        fetches[key] = nil
    }

    private static func key(account: String, container: String?) -> String {
        container.map { "\(account)/\($0)" } ?? account
    }
}
