import Logging
import ShoalKeystoneAPI
import Synchronization

/// Catches this node's revocation list up with the stored events: every `interval` it reads
/// the revocation events kept in the identity account (each one written by the node that
/// revoked, with an expiry of the longest token life) and records those it did not know.
/// Gossip brings a revocation to live nodes within milliseconds; this read is for a node that
/// missed it (down, cut off, or started later), so it learns within one interval of being
/// back. Each read lists the events and fetches only those not seen before (by name and etag).
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
