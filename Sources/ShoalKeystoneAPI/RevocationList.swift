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

        /// Text naming the event (`audit.<id>`, `user.<id>`, `project.<id>`, `appcred.<id>`):
        /// the stored event's object name and the gossiped event's id.
        public var key: String {
            switch self {
            case .auditID(let id): "audit.\(id)"
            case .user(let id): "user.\(id)"
            case .project(let id): "project.\(id)"
            case .applicationCredential(let id): "appcred.\(id)"
            }
        }

        public init?(key: String) {
            guard let dot = key.firstIndex(of: "."), case let value = String(key[key.index(after: dot)...]), !value.isEmpty else {
                return nil
            }
            switch key[..<dot] {
            case "audit": self = .auditID(value)
            case "user": self = .user(value)
            case "project": self = .project(value)
            case "appcred": self = .applicationCredential(value)
            default: return nil
            }
        }
    }

    /// One event at one time as gossip carries it: `<time> <key>`.
    public static func announcement(_ event: Event, at time: Int64) -> [UInt8] { Array("\(time) \(event.key)".utf8) }

    /// The event and time of an ``announcement(_:at:)``; nil for anything else.
    public static func parseAnnouncement(_ bytes: [UInt8]) -> (Event, Int64)? {
        guard let space = bytes.firstIndex(of: UInt8(ascii: " ")),
              let time = Int64(String(decoding: bytes[..<space], as: UTF8.self)),
              let event = Event(key: String(decoding: bytes[(space + 1)...], as: UTF8.self)) else { return nil }
        return (event, time)
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
