import ShoalCore

extension SWIM.Instance {
    /// Starts the next protocol period: ping the next member of the shuffled round-robin.
    mutating func startProbe(now: Duration, into out: inout [SWIM.Directive]) {
        nextProbeAt = now + healthScaled(settings.probeInterval)
        guard let target = nextProbeTarget(), let member = memberTable[target] else { return }
        nextSequence += 1
        probe = Probe(target: target, sequence: nextSequence, directDeadline: now + healthScaled(settings.probeTimeout))
        // Lifeguard buddy system: tell a suspect it is suspected, so it can refute at once.
        let leading: [SWIM.Gossip] = member.status == .suspect
            ? [.suspect(node: target, incarnation: member.incarnation, suspector: myself)] : []
        send(.ping(sequence: nextSequence, target: target), to: member.meta.clusterAddress, leading: leading, into: &out)
    }

    /// The next alive or suspect member in the shuffled order; reshuffles after each pass.
    mutating func nextProbeTarget() -> NodeID? {
        for pass in 0..<2 {
            while probeIndex < probeOrder.count {
                let node = probeOrder[probeIndex]
                probeIndex += 1
                if let member = memberTable[node], member.status == .alive || member.status == .suspect { return node }
            }
            guard pass == 0 else { break }
            probeOrder = memberOrder.filter { node in
                guard node != myself, let status = memberTable[node]?.status else { return false }
                return status == .alive || status == .suspect
            }
            probeOrder.shuffle(using: &random)
            probeIndex = 0
        }
        return nil
    }

    /// No ack came for the direct ping in time: ask k other members to probe the target.
    mutating func sendIndirectProbes(_ current: inout Probe, now: Duration, into out: inout [SWIM.Directive]) {
        current.indirectSent = true
        guard let target = memberTable[current.target] else { return }
        let helpers = randomMembers(count: settings.indirectProbes, excluding: current.target)
        current.expectedNacks = helpers.count
        for helper in helpers {
            guard let address = memberTable[helper]?.meta.clusterAddress else { continue }
            send(.pingRequest(sequence: current.sequence, target: current.target, targetAddress: target.meta.clusterAddress), to: address, into: &out)
        }
    }

    /// Ends the period's probe: unacked means suspect (and a Lifeguard penalty).
    mutating func finishProbe(now: Duration, into out: inout [SWIM.Directive]) {
        guard let finished = probe else { return }
        probe = nil
        if finished.expectedNacks > 0 {
            adjustHealth(by: max(0, finished.expectedNacks - finished.receivedNacks))
        } else {
            adjustHealth(by: 1)
        }
        guard let member = memberTable[finished.target], member.status == .alive || member.status == .suspect else { return }
        apply(.suspect(node: finished.target, incarnation: member.incarnation, suspector: myself), now: now, into: &out)
    }

    /// An ack for our probe (direct or relayed), or for a probe we relay.
    mutating func onAck(sequence: UInt64, target: NodeID, now: Duration, into out: inout [SWIM.Directive]) {
        if let current = probe, current.sequence == sequence, current.target == target {
            probe = nil
            adjustHealth(by: -1)
            return
        }
        if let relay = relays[sequence], relay.target == target {
            relays[sequence] = nil
            send(.ack(sequence: relay.requesterSequence, target: target), to: relay.requester, into: &out)
        }
    }

    /// Pings `target` on behalf of `requester`; the ack is forwarded, or a nack sent when
    /// the target stays silent for `relayTimeout`.
    mutating func relayProbe(
        sequence: UInt64, target: NodeID, targetAddress: ClusterAddress, requester: ClusterAddress,
        now: Duration, into out: inout [SWIM.Directive]
    ) {
        guard target != myself else {
            send(.ack(sequence: sequence, target: myself), to: requester, into: &out)
            return
        }
        guard relays.count < settings.maxRelays else { return }
        nextSequence += 1
        relays[nextSequence] = Relay(requester: requester, requesterSequence: sequence, target: target, deadline: now + settings.relayTimeout)
        send(.ping(sequence: nextSequence, target: target), to: targetAddress, into: &out)
    }

    /// Sends nacks for relayed probes whose target did not answer (in sequence order).
    mutating func expireRelays(now: Duration, into out: inout [SWIM.Directive]) {
        guard !relays.isEmpty else { return }
        let expired = relays.filter { $0.value.deadline <= now }.keys.sorted()
        for sequence in expired {
            guard let relay = relays.removeValue(forKey: sequence) else { continue }
            send(.nack(sequence: relay.requesterSequence, target: relay.target), to: relay.requester, into: &out)
        }
    }

    /// Up to `count` distinct random alive members other than this node and `excluded`.
    /// Samples the probe order (O(count) expected); scans it exhaustively when small.
    mutating func randomMembers(count: Int, excluding excluded: NodeID?) -> [NodeID] {
        guard count > 0 else { return [] }
        func eligible(_ node: NodeID) -> Bool {
            node != myself && node != excluded && memberTable[node]?.status == .alive
        }
        var chosen: [NodeID] = []
        // Before the first probe after a restore the order is empty: draw from every member.
        let pool = probeOrder.isEmpty ? memberOrder : probeOrder
        if pool.count <= 64 {
            var candidates = pool.filter(eligible)
            var seen = Set<NodeID>()
            candidates = candidates.filter { seen.insert($0).inserted }
            while chosen.count < count, !candidates.isEmpty {
                let index = Int(random.next() % UInt64(candidates.count))
                candidates.swapAt(index, candidates.count - 1)
                chosen.append(candidates.removeLast())
            }
            return chosen
        }
        var attempts = 0
        while chosen.count < count, attempts < count * 8 + 16 {
            attempts += 1
            let node = pool[Int(random.next() % UInt64(pool.count))]
            if eligible(node), !chosen.contains(node) { chosen.append(node) }
        }
        return chosen
    }
}
