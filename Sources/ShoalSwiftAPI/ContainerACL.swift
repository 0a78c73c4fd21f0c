/// A container's X-Container-Read or X-Container-Write header, parsed as TempAuth parses
/// it: comma-separated items, `.r:<referrer>` granting anonymous access by HTTP referrer
/// (`.r:*` anyone, `.r:.example.com` a domain, `.r:-host` an exception), `.rlistings`
/// allowing anonymous listings, anything else a group (`account`, `account:user`, `*:user`).
public struct ContainerACL: Hashable, Sendable {
    public let referrers: [String]
    public let groups: [String]
    public let allowsListings: Bool

    public init(header: String?) {
        var referrers: [String] = []
        var groups: [String] = []
        var listings = false
        for raw in (header ?? "").split(separator: ",") {
            let item = String(raw).trimmingWhitespace()
            guard !item.isEmpty else { continue }
            if item == ".rlistings" {
                listings = true
            } else if item.hasPrefix(".r:") || item.hasPrefix(".ref:") || item.hasPrefix(".referer:") || item.hasPrefix(".referrer:") {
                let value = String(item[item.index(after: item.firstIndex(of: ":")!)...])
                if !value.isEmpty { referrers.append(value) }
            } else if !item.hasPrefix(".") {
                groups.append(item)
            }
        }
        self.referrers = referrers
        self.groups = groups
        allowsListings = listings
    }

    /// Whether a request from `referrer` (its Referer header's host) may read anonymously:
    /// the last matching item wins, so `.r:*,.r:-bad.host` admits everyone but bad.host.
    public func admitsReferrer(_ referrerURL: String?) -> Bool {
        let host = referrerURL.flatMap(Self.host(ofURL:)) ?? ""
        var allowed = false
        for item in referrers {
            let negated = item.hasPrefix("-")
            let pattern = negated ? String(item.dropFirst()) : item
            let matches = pattern == "*" || (pattern.hasPrefix(".") ? host.hasSuffix(pattern) : host == pattern)
            if matches { allowed = !negated }
        }
        return allowed
    }

    /// Whether any of a user's TempAuth groups is named (`*:user` matches the user in any account).
    public func admits(groups userGroups: [String]) -> Bool {
        for group in groups {
            if userGroups.contains(group) { return true }
            if group.hasPrefix("*:") {
                let user = group.dropFirst(2)
                if userGroups.contains(where: { $0.split(separator: ":").last == user && $0.contains(":") }) { return true }
            }
        }
        return false
    }

    static func host(ofURL url: String) -> String? {
        guard let scheme = url.range(of: "://") else { return nil }
        let rest = url[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@").last.map(String.init) ?? ""
        return hostPort.split(separator: ":").first.map { String($0).lowercased() }
    }
}
