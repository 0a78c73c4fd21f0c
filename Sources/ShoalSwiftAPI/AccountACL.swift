import Foundation

/// An account's `X-Account-Access-Control` (Swift's account ACLs, TempAuth flavour): a JSON
/// object naming who gets `admin` (everything the account's own admins may do),
/// `read-write` (read everything, write objects, make and remove containers) or
/// `read-only` (read everything) in the account. Entries are TempAuth groups (`account`,
/// `account:user`). Kept as account sysmeta; only the account's admins set or see it.
public struct AccountACL: Hashable, Sendable {
    public enum Level: Int, Comparable, Sendable {
        case readOnly = 1, readWrite = 2, admin = 3
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    public static let header = "X-Account-Access-Control"
    public static let sysmeta = "X-Account-Sysmeta-Core-Access-Control"
    static let keys: [(String, Level)] = [("admin", .admin), ("read-write", .readWrite), ("read-only", .readOnly)]

    public var entries: [String: [String]]

    /// Parses the header; nil when it is not a JSON object of string arrays under known keys.
    public init?(json text: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        var entries: [String: [String]] = [:]
        for (key, value) in object {
            guard Self.keys.contains(where: { $0.0 == key }), let list = value as? [String] else { return nil }
            entries[key] = list
        }
        self.entries = entries
    }

    /// The normalized JSON (sorted keys), as stored and shown.
    public var json: String {
        let data = (try? JSONSerialization.data(withJSONObject: entries, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The highest level any of `groups` is granted, nil for none.
    public func level(for groups: [String]) -> Level? {
        var best: Level?
        for (key, level) in Self.keys where entries[key, default: []].contains(where: groups.contains) {
            best = max(best ?? level, level)
        }
        return best
    }
}
