import ShoalCore

/// What the simulated client did to one object name and what the proxy answered: the
/// model the storage simulation checks reads and converged replicas against. Writes are
/// kept in timestamp order (the client issues one request at a time).
struct ObjectHistory {
    enum Operation: Hashable {
        case put(body: [UInt8])
        case delete
        case post(tag: String)
    }

    /// What is known of a write.
    enum Outcome: Hashable {
        /// The proxy answered 2xx: a quorum of replicas took it.
        case acknowledged
        /// Any other answer: some replicas may hold it, or none.
        case unknown
        /// No replica can hold it any more: a quiet point found it superseded or absent.
        case gone
    }

    struct Write {
        let operation: Operation
        let timestamp: SwiftTimestamp
        var outcome: Outcome

        var isPost: Bool { if case .post = operation { true } else { false } }
    }

    private(set) var writes: [Write] = []

    mutating func record(_ operation: Operation, at timestamp: SwiftTimestamp, acknowledged: Bool) {
        writes.append(Write(operation: operation, timestamp: timestamp, outcome: acknowledged ? .acknowledged : .unknown))
    }

    /// The newest acknowledged PUT or DELETE: no failure may lose it.
    var floor: Write? { writes.last { !$0.isPost && $0.outcome == .acknowledged } }

    /// Whether a read may find nothing: nothing is acknowledged, or a DELETE at or after
    /// the floor may have landed.
    var mayBeAbsent: Bool {
        guard let floor else { return true }
        return writes.contains { $0.operation == .delete && $0.outcome != .gone && $0.timestamp >= floor.timestamp }
    }

    /// The write at `timestamp`, if a replica may still hold it.
    func possible(at timestamp: SwiftTimestamp) -> Write? {
        writes.first { $0.timestamp == timestamp && $0.outcome != .gone }
    }

    /// The PUT with exactly these bytes (every body the client sends is unique), if a
    /// replica may still hold it.
    func possiblePut(of body: [UInt8]) -> Write? {
        writes.first { $0.operation == .put(body: body) && $0.outcome != .gone }
    }

    /// The PUT a listing row with this ETag and size describes, if a replica may still hold it.
    func possiblePut(ofETag etag: String, size: Int) -> Write? {
        writes.first { write in
            guard case .put(let body) = write.operation, write.outcome != .gone else { return false }
            return body.count == size && ETagHasher.hex(of: body) == etag
        }
    }

    /// The newest acknowledged POST after `timestamp`: a converged replica of data written
    /// at `timestamp` carries its metadata or a newer POST's.
    func acknowledgedPost(after timestamp: SwiftTimestamp) -> Write? {
        writes.last { $0.isPost && $0.outcome == .acknowledged && $0.timestamp > timestamp }
    }

    /// A quiet point found every replica holding the version at `base` with the `.meta` at
    /// `meta` (nil: nothing): those become the acknowledged state, every other write is gone.
    mutating func settle(base: SwiftTimestamp?, meta: SwiftTimestamp?) {
        for index in writes.indices {
            let kept = writes[index].timestamp == base || writes[index].timestamp == meta
            writes[index].outcome = kept ? .acknowledged : .gone
        }
    }
}
