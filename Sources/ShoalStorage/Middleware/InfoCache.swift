import Foundation
import ShoalCore
import ShoalPorts

/// Account and container HEAD answers kept for a few seconds, as Swift keeps them in
/// memcache (`get_container_info`), so middlewares that consult metadata on every write
/// (quotas, versioning) cost one backend round trip per container per few seconds.
actor InfoCache {
    struct Entry {
        let status: Int
        let headers: HeaderFields
        let expires: ContinuousClock.Instant
    }

    private var entries: [String: Entry] = [:]
    private let ttl: Duration
    private let capacity: Int
    private let clock = ContinuousClock()

    init(ttl: Duration = .seconds(3), capacity: Int = 4_096) {
        self.ttl = ttl
        self.capacity = capacity
    }

    /// The HEAD answer for `account` (and `container`), from the cache or from `next`.
    func info(account: String, container: String?, next: any StorageHandler, environment: [String: String]) async -> (status: Int, headers: HeaderFields) {
        let key = container.map { "\(account)/\($0)" } ?? account
        if let entry = entries[key], entry.expires > clock.now { return (entry.status, entry.headers) }
        let response = await next.handle(StorageRequest(method: "HEAD", account: account, container: container, environment: environment))
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        if response.status < 500 { entries[key] = Entry(status: response.status, headers: response.headers, expires: clock.now + ttl) }
        return (response.status, response.headers)
    }

    /// Forgets what is known about `account` (and `container`) after this node changed it.
    func invalidate(account: String, container: String?) {
        entries[container.map { "\(account)/\($0)" } ?? account] = nil
    }
}
