import Logging
import ShoalKeystoneAPI
import Synchronization

/// Keeps this node's revocation list current: every `interval` it reads the revocation
/// events stored in the identity account (each one written by the node that revoked, with an
/// expiry of the longest token life) and records those it did not know. A revocation thus
/// reaches every node within about one interval; the node that revoked knows at once.
/// Each read lists the events and fetches only those not seen before (by name and etag).
public struct RevocationSync: Sendable {
    let store: IdentityStore
    let revocations: RevocationList
    let logger: Logger
    private let seen = SeenVersions()

    public init(store: IdentityStore, revocations: RevocationList, logger: Logger) {
        self.store = store
        self.revocations = revocations
        self.logger = logger
    }

    /// One read; returns how many events were news.
    @discardableResult
    public func syncOnce() async -> Int {
        guard let (events, versions) = try? await store.revocations(skipping: seen.versions) else { return 0 }
        seen.versions = versions
        var news = 0
        for (event, time) in events where revocations.record(event, at: time) { news += 1 }
        if news > 0 { logger.info("revocations learned", metadata: ["events": "\(news)"]) }
        return news
    }

    public func run(every interval: Duration) async {
        while !Task.isCancelled {
            await syncOnce()
            try? await Task.sleep(for: interval)
        }
    }
}

/// The event versions a sync has already read.
final class SeenVersions: Sendable {
    private let state = Mutex<Set<String>>([])

    var versions: Set<String> {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
