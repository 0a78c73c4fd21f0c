/// The metadata of an account or container (`X-Container-Meta-*`, `X-Container-Read`, ...)
/// with a timestamp per key, merged last-writer-wins key by key as OpenStack Swift's
/// `DatabaseBroker.update_metadata` does. An empty value is a deletion that still carries
/// its timestamp, so an older value arriving later cannot bring the key back.
///
/// Kept by the container and account brokers; the REST layer shows ``visible``.
public struct TimestampedMetadata: Hashable, Sendable, Codable {
    /// A value and the timestamp of the request that set it.
    public struct Item: Hashable, Sendable, Codable {
        public var value: String
        public var timestamp: SwiftTimestamp

        public init(value: String, timestamp: SwiftTimestamp) {
            self.value = value
            self.timestamp = timestamp
        }
    }

    /// Every key ever set, deletions (empty values) included.
    public private(set) var items: [String: Item]

    public init(items: [String: Item] = [:]) {
        self.items = items
    }

    /// The keys that have a value: what a HEAD or GET answers.
    public var visible: [String: String] {
        items.compactMapValues { $0.value.isEmpty ? nil : $0.value }
    }

    /// Sets each key whose timestamp is newer than the one stored (or that is new); an
    /// empty value deletes. Returns whether anything changed.
    @discardableResult
    public mutating func merge(_ updates: [String: Item]) -> Bool {
        var changed = false
        for (key, update) in updates {
            if let current = items[key], current.timestamp >= update.timestamp { continue }
            items[key] = update
            changed = true
        }
        return changed
    }

    /// ``merge(_:)`` with one timestamp for all keys: the headers of one request.
    @discardableResult
    public mutating func merge(_ values: [String: String], timestamp: SwiftTimestamp) -> Bool {
        merge(values.mapValues { Item(value: $0, timestamp: timestamp) })
    }
}
