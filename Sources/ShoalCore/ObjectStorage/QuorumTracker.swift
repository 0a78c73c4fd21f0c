/// Decides the answer to a request fanned out to the replicas of a partition, as OpenStack
/// Swift's proxy does: the first status class (2xx, 3xx, 4xx, 5xx) that reaches a quorum
/// (`n / 2 + 1` of `n` replicas) decides; when every answer is in and no class has a
/// quorum, the answer is 503. The caller feeds it answers as they arrive and may stop
/// waiting as soon as it decides — a PUT is then acknowledged by a quorum of fsynced writes.
public struct QuorumTracker: Sendable, Equatable {
    public enum Decision: Equatable, Sendable {
        case waiting
        /// The chosen status: the most frequent in the winning class, the highest on a tie.
        case decided(status: Int)
    }

    public let replicas: Int
    public private(set) var statuses: [Int] = []
    public private(set) var decision: Decision = .waiting

    public init(replicas: Int) {
        precondition(replicas > 0)
        self.replicas = replicas
    }

    public static func quorum(for replicas: Int) -> Int { replicas / 2 + 1 }
    public var quorum: Int { QuorumTracker.quorum(for: replicas) }

    /// Records one replica's answer (a transport failure counts as 503) and returns the
    /// decision so far. Answers after the decision are recorded but change nothing.
    @discardableResult
    public mutating func record(status: Int) -> Decision {
        statuses.append(status)
        guard decision == .waiting else { return decision }
        let inClass = statuses.filter { $0 / 100 == status / 100 }
        if inClass.count >= quorum {
            decision = .decided(status: QuorumTracker.representative(of: inClass))
        } else if statuses.count >= replicas {
            decision = .decided(status: 503)
        }
        return decision
    }

    /// Answers still missing before every replica has spoken.
    public var outstanding: Int { max(0, replicas - statuses.count) }

    static func representative(of statuses: [Int]) -> Int {
        var counts: [Int: Int] = [:]
        for status in statuses { counts[status, default: 0] += 1 }
        return counts.max { ($0.value, $0.key) < ($1.value, $1.key) }!.key
    }
}

extension QuorumTracker {
    /// Swift's `best_response` over every answer a fan-out collected: the lowest status class
    /// below 5xx that `replicas / 2 + 1` answers share decides (its most frequent status,
    /// the higher on a tie); otherwise 503, also when answers are missing. `overrides` are
    /// Swift's: read in place of the statuses they name, and only when no class has a quorum
    /// as answered (an object DELETE counts a 404 as a 204 then, so one replica that deleted
    /// the object, one that never had it and one that failed answer 204, not 503).
    public static func best(_ statuses: [Int], replicas: Int, overrides: [Int: Int] = [:]) -> Int {
        if let status = quorumStatus(statuses, replicas: replicas) { return status }
        guard !overrides.isEmpty else { return 503 }
        return quorumStatus(statuses.map { overrides[$0] ?? $0 }, replicas: replicas) ?? 503
    }

    /// The status a quorum of `statuses` decides on, nil when none below 5xx has one.
    private static func quorumStatus(_ statuses: [Int], replicas: Int) -> Int? {
        var tracker = QuorumTracker(replicas: max(1, replicas))
        for status in statuses.sorted() {
            if case .decided(let status) = tracker.record(status: status) { return status < 500 ? status : nil }
        }
        return nil
    }
}
