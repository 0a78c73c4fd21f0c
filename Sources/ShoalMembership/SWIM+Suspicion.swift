import ShoalCore

extension SWIM {
    /// Lifeguard's dynamic suspicion timer for one suspected member.
    ///
    /// It starts at `maxTimeout` and shrinks logarithmically toward `minTimeout` as
    /// independent suspicions (distinct suspectors) confirm it, reaching the minimum after
    /// `expectedConfirmations` of them (memberlist's `suspicion.go`). Owned by ``Instance``.
    struct Suspicion: Sendable {
        let incarnation: UInt64
        let startedAt: Duration
        let minTimeout: Duration
        let maxTimeout: Duration
        let expectedConfirmations: Int
        private(set) var suspectors: Set<NodeID>
        private(set) var deadline: Duration

        init(incarnation: UInt64, suspector: NodeID, startedAt: Duration, minTimeout: Duration, maxTimeout: Duration, expectedConfirmations: Int) {
            self.incarnation = incarnation
            self.startedAt = startedAt
            self.minTimeout = minTimeout
            self.maxTimeout = max(minTimeout, maxTimeout)
            self.expectedConfirmations = max(0, expectedConfirmations)
            self.suspectors = [suspector]
            self.deadline = startedAt
            self.deadline = startedAt + timeout
        }

        /// Independent confirmations beyond the first suspicion.
        var confirmations: Int { suspectors.count - 1 }

        /// The current timeout, measured from `startedAt`.
        var timeout: Duration {
            guard expectedConfirmations > 0 else { return minTimeout }
            let confirmed = Double(max(0, min(confirmations, expectedConfirmations)))
            let fraction = swimLog10(confirmed + 1) / swimLog10(Double(expectedConfirmations) + 1)
            let timeout = maxTimeout - (maxTimeout - minTimeout) * fraction
            return max(minTimeout, timeout)
        }

        /// Counts `suspector`'s suspicion; true when it was a new, independent one.
        mutating func confirm(by suspector: NodeID) -> Bool {
            guard confirmations < expectedConfirmations, suspectors.insert(suspector).inserted else { return false }
            deadline = startedAt + timeout
            return true
        }
    }
}

/// Base-10 logarithm from the core's deterministic natural logarithm (x ≥ 1 here).
func swimLog10(_ value: Double) -> Double {
    StableHash.log(value) / 2.302585092994046
}
