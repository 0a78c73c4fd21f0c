/// The status a proxy answers an object DELETE with, from its replicas' answers: Swift's
/// best response (``QuorumTracker/best(_:replicas:overrides:)`` with a 404 read as 204 when
/// no class has a quorum), and one step past Swift for a replica set that grew.
///
/// An object written while its partition had fewer replicas (a one-node cluster that two
/// nodes then joined) lives on one of the new primaries until the replicator copies it. A
/// DELETE in that window finds it on one replica and nothing on the others: Swift answers
/// 404, a quorum of "not found", although the object was there and is now gone (every
/// replica wrote a tombstone). Each replica says what it held — the time of its live
/// data, or of its tombstone or expired data — so the proxy can tell "never here" from
/// "deleted before": a 404 quorum becomes 204 when a replica deleted live data newer than
/// anything the not-found replicas held. A replica that missed an earlier DELETE still
/// loses to the tombstone the others report, and the answer stays 404.
public enum DeleteVerdict {
    /// One replica's answer.
    public struct Answer: Equatable, Sendable {
        public var status: Int
        /// The time of the version the replica held before this DELETE (its live or
        /// expired data's, a POST's when one updated it, or its tombstone's); nil when it
        /// held nothing.
        public var found: SwiftTimestamp?

        public init(status: Int, found: SwiftTimestamp?) {
            self.status = status
            self.found = found
        }
    }

    public static func status(of answers: [Answer], replicas: Int) -> Int {
        let best = QuorumTracker.best(answers.map(\.status), replicas: replicas, overrides: [404: 204])
        guard best == 404 else { return best }
        guard let deleted = answers.filter({ (200..<300).contains($0.status) }).compactMap(\.found).max() else { return 404 }
        let held = answers.filter { $0.status == 404 }.compactMap(\.found).max()
        if let held, held >= deleted { return 404 }
        return 204
    }
}
