import ShoalCore

extension SWIM {
    /// Updates waiting to be piggybacked, least-transmitted first, newest first among equals.
    ///
    /// Kept in buckets by transmit count, so choosing a message's updates costs about the
    /// number of updates chosen, not the queue length (memberlist's TransmitLimitedQueue
    /// does the same with a B-tree). Replaced or dropped entries are removed lazily: a
    /// bucket slot whose version no longer matches is skipped when reached.
    /// Owned by ``Instance``; nobody else calls it.
    struct GossipQueue: Sendable {
        struct Entry: Sendable {
            var gossip: Gossip
            var transmits: Int
            var version: UInt64
            var sizeBytes: Int
        }

        struct Slot: Sendable {
            var key: GossipKey
            var version: UInt64
        }

        private(set) var entries: [GossipKey: Entry] = [:]
        private var buckets: [[Slot]] = [[]]
        private var nextVersion: UInt64 = 0

        var count: Int { entries.count }

        /// Queues `gossip`, replacing any older update about the same subject.
        mutating func enqueue(_ gossip: Gossip) {
            nextVersion += 1
            let key = gossip.key
            let size = gossip.wireBytes().count
            entries[key] = Entry(gossip: gossip, transmits: 0, version: nextVersion, sizeBytes: size)
            buckets[0].append(Slot(key: key, version: nextVersion))
        }

        /// The pending update about `key`, if any (for tests and the buddy system).
        func pending(_ key: GossipKey) -> Entry? { entries[key] }

        /// Chooses updates for one message within `budgetBytes` and `maxItems`, counts a
        /// transmission for each, and drops those sent `transmitLimit` times.
        mutating func select(budgetBytes: Int, maxItems: Int, transmitLimit: Int) -> [Gossip] {
            var chosen: [Gossip] = []
            var sent: [Slot] = []
            var skipped: [(bucket: Int, slot: Slot)] = []
            var remaining = budgetBytes
            var bucket = 0
            scan: while bucket < buckets.count {
                while let slot = buckets[bucket].popLast() {
                    guard let entry = entries[slot.key], entry.version == slot.version, entry.transmits == bucket else { continue }
                    if bucket >= transmitLimit {
                        entries[slot.key] = nil
                        continue
                    }
                    if entry.sizeBytes > remaining {
                        skipped.append((bucket, slot))
                        if skipped.count >= 16 { break scan }
                        continue
                    }
                    chosen.append(entry.gossip)
                    remaining -= entry.sizeBytes
                    entries[slot.key]!.transmits = bucket + 1
                    sent.append(slot)
                    if chosen.count >= maxItems || remaining < 8 { break scan }
                }
                bucket += 1
            }
            for (bucket, slot) in skipped.reversed() { buckets[bucket].append(slot) }
            for slot in sent {
                let transmits = entries[slot.key]!.transmits
                if transmits >= transmitLimit {
                    entries[slot.key] = nil
                    continue
                }
                while buckets.count <= transmits { buckets.append([]) }
                buckets[transmits].append(slot)
            }
            return chosen
        }

        /// Drops the most-transmitted entries until at most `limit` remain.
        mutating func trim(to limit: Int) {
            var bucket = buckets.count - 1
            while entries.count > limit, bucket >= 0 {
                var dropped = 0
                for slot in buckets[bucket] {
                    if entries.count <= limit { break }
                    dropped += 1
                    if let entry = entries[slot.key], entry.version == slot.version { entries[slot.key] = nil }
                }
                buckets[bucket].removeFirst(dropped)
                bucket -= 1
            }
        }
    }
}
