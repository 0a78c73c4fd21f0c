import Logging
import ShoalKeystoneAPI

/// Keeps this node's revocation list current: every `interval` it reads the revocation
/// events stored in the identity account (each one written by the node that revoked, with an
/// expiry of the longest token life) and records those it did not know. A revocation thus
/// reaches every node within about one interval; the node that revoked knows at once.
public struct RevocationSync: Sendable {
    let store: IdentityStore
    let revocations: RevocationList
    let logger: Logger

    public init(store: IdentityStore, revocations: RevocationList, logger: Logger) {
        self.store = store
        self.revocations = revocations
        self.logger = logger
    }

    /// One read; returns how many events were news.
    @discardableResult
    public func syncOnce() async -> Int {
        guard let events = try? await store.revocations() else { return 0 }
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
