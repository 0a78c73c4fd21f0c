import Synchronization

/// The revocations every node checks a token against (Keystone's revocation events, reduced
/// to the two kinds Shoal writes): a revoked token, by its audit id (which also revokes the
/// tokens issued from it with the token method), and everything issued to a user or for a
/// project before a time (a disabled or deleted user or project, a changed password). Events
/// expire with the longest token life, so the list stays small.
public final class RevocationList: Sendable {
    public enum Event: Hashable, Sendable, Codable {
        case auditID(String)
        case user(String)
        case project(String)
        /// Every token issued through an application credential (it was deleted).
        case applicationCredential(String)
    }

    /// Per event, when it was issued (Unix seconds): a token issued at or before it is revoked.
    private let events = Mutex<[Event: Int64]>([:])

    public init() {}

    /// Records `event` at `time`; true if it is news (a later time than known).
    @discardableResult
    public func record(_ event: Event, at time: Int64) -> Bool {
        events.withLock { events in
            if let known = events[event], known >= time { return false }
            events[event] = time
            return true
        }
    }

    public func isRevoked(_ token: KeystoneToken) -> Bool {
        events.withLock { events in
            if token.auditIDs.contains(where: { events[.auditID($0)] != nil }) { return true }
            if let time = events[.user(token.user.id)], token.issuedAt <= time { return true }
            if let project = token.projectID, let time = events[.project(project)], token.issuedAt <= time { return true }
            if let credential = token.applicationCredential, events[.applicationCredential(credential.id)] != nil { return true }
            return false
        }
    }

    /// Forgets events older than `cutoff` (no token issued before it is still valid).
    public func expire(before cutoff: Int64) {
        events.withLock { $0 = $0.filter { $0.value >= cutoff } }
    }

    public var snapshot: [Event: Int64] { events.withLock { $0 } }
}
