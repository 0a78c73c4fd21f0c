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
            let confirmed = Double(min(confirmations, expectedConfirmations))
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

/// Base-10 logarithm without Foundation: ln(x)/ln(10) by a short series (x ≥ 1 here).
func swimLog10(_ value: Double) -> Double {
    naturalLog(value) / 2.302585092994046
}

/// ln(x) for x > 0: reduce to [1, 2) by powers of two, then atanh series.
func naturalLog(_ value: Double) -> Double {
    guard value > 0, value.isFinite else { return value == 0 ? -.infinity : .nan }
    let exponent = Double(value.exponent)
    let mantissa = value.significand // in [1, 2)
    let y = (mantissa - 1) / (mantissa + 1)
    let y2 = y * y
    var term = y
    var sum = 0.0
    var denominator = 1.0
    for _ in 0..<30 {
        sum += term / denominator
        term *= y2
        denominator += 2
    }
    return 2 * sum + exponent * 0.6931471805599453
}
