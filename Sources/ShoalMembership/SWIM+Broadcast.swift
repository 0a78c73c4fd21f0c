import ShoalCore

extension SWIM {
    /// News an application spreads to every member (Serf's user events): a token revocation,
    /// say. It travels on SWIM's own messages, piggybacked like membership updates, and is
    /// also pushed at once to a few random members, each of which forwards it once on
    /// first hearing it — so it crosses the cluster in about log(n) hops within
    /// milliseconds, while the piggybacked copies cover lost messages.
    ///
    /// Delivery is at most once per member per `(topic, id)` within ``Settings/broadcastMemory``
    /// and best effort: a member down at the time never hears it, so an application that
    /// must not miss news also keeps it somewhere durable and reads it back (anti-entropy).
    public struct Broadcast: Hashable, Sendable {
        public static let maxTopicBytes = 64
        public static let maxIDBytes = 128
        public static let maxPayloadBytes = 512

        /// Which application the news is for; members deliver it to that topic's subscribers.
        public let topic: String
        /// What makes two broadcasts the same news: a repeat is neither delivered nor forwarded.
        public let id: [UInt8]
        public let payload: [UInt8]

        /// Nil when a field is longer than its limit (one broadcast must fit one message).
        public init?(topic: String, id: [UInt8], payload: [UInt8]) {
            guard !topic.isEmpty, topic.utf8.count <= Self.maxTopicBytes, !id.isEmpty, id.count <= Self.maxIDBytes,
                  payload.count <= Self.maxPayloadBytes else { return nil }
            self.topic = topic
            self.id = id
            self.payload = payload
        }

        var key: Key { Key(topic: topic, id: id) }

        struct Key: Hashable, Sendable {
            var topic: String
            var id: [UInt8]
        }
    }

    /// The broadcasts a member has heard recently, so each is delivered and forwarded once.
    /// Oldest first; forgotten after `memory`, or earliest once more than `limit` are kept.
    struct BroadcastMemory: Sendable {
        private var heard: Set<Broadcast.Key> = []
        /// What `heard` holds, oldest first, with when; entries before `head` are forgotten.
        private var order: [(key: Broadcast.Key, at: Duration)] = []
        private var head = 0

        var count: Int { heard.count }

        /// Records `key`; false when it was already known.
        mutating func remember(_ key: Broadcast.Key, now: Duration, limit: Int) -> Bool {
            guard heard.insert(key).inserted else { return false }
            order.append((key, now))
            while heard.count > limit { dropOldest() }
            return true
        }

        /// Forgets what was heard before `cutoff`.
        mutating func forget(before cutoff: Duration) {
            while head < order.count, order[head].at < cutoff { dropOldest() }
        }

        private mutating func dropOldest() {
            guard head < order.count else { return }
            heard.remove(order[head].key)
            head += 1
            if head > 1_024, head * 2 > order.count {
                order.removeFirst(head)
                head = 0
            }
        }
    }
}

extension SWIM.Broadcast: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        writer.writeString(topic)
        writer.writeBytes(id)
        writer.writeBytes(payload)
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let topic = try reader.readString(field: "broadcast topic", limit: Self.maxTopicBytes)
        let id = try reader.readBytes(field: "broadcast id", limit: Self.maxIDBytes)
        let payload = try reader.readBytes(field: "broadcast payload", limit: Self.maxPayloadBytes)
        guard let broadcast = Self(topic: topic, id: id, payload: payload) else { throw .invalidValue(field: "broadcast") }
        self = broadcast
    }
}

extension SWIM.Instance {
    /// Spreads `broadcast` from this member: queued for piggybacking and pushed at once to
    /// ``SWIM/Settings/broadcastFanout`` random members. Not delivered here (the caller has
    /// the news already). A repeat of something heard recently does nothing.
    public mutating func broadcast(_ broadcast: SWIM.Broadcast, now: Duration) -> [SWIM.Directive] {
        var out: [SWIM.Directive] = []
        guard !hasLeft, broadcastMemory.remember(broadcast.key, now: now, limit: settings.broadcastMemoryLimit) else { return out }
        enqueueGossip(.broadcast(broadcast))
        pushGossip(excluding: nil, into: &out)
        return out
    }

    /// Sends a gossip-only message, carrying the freshest queued updates, to a few random
    /// alive members other than `excluded`.
    mutating func pushGossip(excluding excluded: NodeID?, into out: inout [SWIM.Directive]) {
        for peer in randomMembers(count: settings.broadcastFanout, excluding: excluded) {
            guard let address = memberTable[peer]?.meta.clusterAddress else { continue }
            send(.gossip, to: address, into: &out)
        }
    }

    /// Forgets broadcasts heard longer ago than the settings keep them.
    mutating func forgetOldBroadcasts(now: Duration) {
        broadcastMemory.forget(before: now - settings.broadcastMemory)
    }
}
