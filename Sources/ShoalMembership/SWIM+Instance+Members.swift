import ShoalCore

extension SWIM.Instance {
    /// Applies one update (from gossip or push-pull) by the incarnation rules; re-gossips it
    /// when it was news. Returns true when the state changed.
    @discardableResult
    mutating func apply(_ gossip: SWIM.Gossip, now: Duration, into out: inout [SWIM.Directive]) -> Bool {
        switch gossip {
        case .alive(let node, let incarnation, let meta):
            if node == myself {
                if incarnation > self.incarnation, !hasLeft { refute(above: incarnation, now: now, into: &out, unhealthy: false) }
                return false
            }
            if let current = memberTable[node], incarnation <= current.incarnation { return false }
            setMember(node, status: .alive, incarnation: incarnation, meta: meta, now: now, into: &out)
            enqueueGossip(gossip)
            return true

        case .suspect(let node, let incarnation, let suspector):
            if node == myself {
                if incarnation >= self.incarnation, !hasLeft { refute(above: incarnation, now: now, into: &out, unhealthy: true) }
                return false
            }
            guard let current = memberTable[node], incarnation >= current.incarnation else { return false }
            switch current.status {
            case .dead, .left:
                return false
            case .suspect where incarnation == current.incarnation:
                guard suspicions[node]?.confirm(by: suspector) == true else { return false }
                refreshSuspicionDeadline()
                enqueueGossip(gossip)
                return true
            case .suspect, .alive:
                setMember(node, status: .suspect, incarnation: incarnation, meta: current.meta, now: now, into: &out)
                startSuspicion(of: node, incarnation: incarnation, suspector: suspector, now: now)
                enqueueGossip(gossip)
                return true
            }

        case .dead(let node, let incarnation, _):
            if node == myself {
                if incarnation >= self.incarnation, !hasLeft { refute(above: incarnation, now: now, into: &out, unhealthy: true) }
                return false
            }
            guard let current = memberTable[node], incarnation >= current.incarnation,
                  current.status != .dead, current.status != .left else { return false }
            setMember(node, status: .dead, incarnation: incarnation, meta: current.meta, now: now, into: &out)
            enqueueGossip(gossip)
            return true

        case .left(let node, let incarnation):
            if node == myself {
                guard incarnation >= self.incarnation, !hasLeft else { return false }
                leave(incarnation: incarnation, now: now, into: &out)
                enqueueGossip(gossip)
                return true
            }
            guard let current = memberTable[node], incarnation >= current.incarnation, current.status != .left else { return false }
            setMember(node, status: .left, incarnation: incarnation, meta: current.meta, now: now, into: &out)
            enqueueGossip(gossip)
            return true

        case .device(let record):
            guard deviceSet.apply(record) else { return false }
            out.append(.deviceSetChanged([record]))
            enqueueGossip(gossip)
            return true

        case .broadcast(let broadcast):
            guard broadcastMemory.remember(broadcast.key, now: now, limit: settings.broadcastMemoryLimit) else { return false }
            out.append(.deliver(broadcast))
            enqueueGossip(gossip)
            return true
        }
    }

    /// Applies one push-pull entry. A remote `dead` only raises suspicion here (as in
    /// memberlist's `mergeState`), so a stale view after a partition cannot kill a member
    /// that can still refute.
    mutating func merge(_ state: SWIM.MemberState, from sender: NodeID, now: Duration, into out: inout [SWIM.Directive]) {
        switch state.status {
        case .alive:
            apply(.alive(node: state.node, incarnation: state.incarnation, meta: state.meta), now: now, into: &out)
        case .suspect, .dead:
            if memberTable[state.node] == nil, state.node != myself {
                // Learn the member (and its address) so it can be probed and refute.
                setMember(state.node, status: .alive, incarnation: state.incarnation, meta: state.meta, now: now, into: &out)
            }
            apply(.suspect(node: state.node, incarnation: state.incarnation, suspector: sender), now: now, into: &out)
        case .left:
            if memberTable[state.node] == nil, state.node != myself {
                setMember(state.node, status: .left, incarnation: state.incarnation, meta: state.meta, now: now, into: &out)
                return
            }
            apply(.left(node: state.node, incarnation: state.incarnation), now: now, into: &out)
        }
    }

    /// Writes a member's new state, keeping counts, probe order and suspicions in step,
    /// and reports the change to the shell.
    mutating func setMember(
        _ node: NodeID, status: SWIM.Status, incarnation: UInt64, meta: SWIM.MemberMeta,
        now: Duration, into out: inout [SWIM.Directive], updateProbeOrder: Bool = true
    ) {
        let previous = memberTable[node]
        let changedAt = previous?.status == status ? previous!.statusChangedAt : now
        let member = SWIM.Member(node: node, meta: meta, status: status, incarnation: incarnation, statusChangedAt: changedAt)
        memberTable[node] = member
        if let previous {
            statusCounts[Int(previous.status.rawValue)] -= 1
        } else {
            memberOrder.append(node)
        }
        statusCounts[Int(status.rawValue)] += 1
        if status != .suspect, suspicions.removeValue(forKey: node) != nil { refreshSuspicionDeadline() }
        let wasProbed = previous.map { $0.status == .alive || $0.status == .suspect } ?? false
        if updateProbeOrder, status == .alive, !wasProbed, node != myself { insertIntoProbeOrder(node) }
        if previous != member {
            out.append(.memberChanged(SWIM.MemberChange(member: member, previousStatus: previous?.status)))
        }
    }

    /// A newly alive member goes at a random place in the current pass.
    mutating func insertIntoProbeOrder(_ node: NodeID) {
        let position = probeOrder.isEmpty ? 0 : Int(random.next() % UInt64(probeOrder.count + 1))
        probeOrder.insert(node, at: position)
        if position < probeIndex { probeIndex += 1 }
    }

    /// Claims aliveness above `observed` and gossips it; Lifeguard counts having to
    /// refute a suspicion as a sign of local trouble.
    mutating func refute(above observed: UInt64, now: Duration, into out: inout [SWIM.Directive], unhealthy: Bool) {
        incarnation = max(incarnation, observed) + 1
        if unhealthy { adjustHealth(by: 1) }
        setMember(myself, status: .alive, incarnation: incarnation, meta: myMeta, now: now, into: &out)
        enqueueGossip(.alive(node: myself, incarnation: incarnation, meta: myMeta))
    }

    /// This node was removed from the cluster: record it and stop taking part.
    mutating func leave(incarnation: UInt64, now: Duration, into out: inout [SWIM.Directive]) {
        self.incarnation = max(self.incarnation, incarnation)
        setMember(myself, status: .left, incarnation: self.incarnation, meta: myMeta, now: now, into: &out)
        hasLeft = true
        probe = nil
        relays = [:]
    }

    // MARK: Suspicion

    mutating func startSuspicion(of node: NodeID, incarnation: UInt64, suspector: NodeID, now: Duration) {
        let n = Double(max(1, activeCount))
        let scale = max(1, swimLog10(n))
        let base = settings.probeInterval * scale
        let expected = activeCount - 2 < settings.suspicionConfirmations ? 0 : settings.suspicionConfirmations
        suspicions[node] = SWIM.Suspicion(
            incarnation: incarnation, suspector: suspector, startedAt: now,
            minTimeout: base * settings.suspicionMinMultiplier, maxTimeout: base * settings.suspicionMaxMultiplier,
            expectedConfirmations: expected)
        refreshSuspicionDeadline()
    }

    mutating func refreshSuspicionDeadline() {
        earliestSuspicionDeadline = suspicions.values.lazy.map(\.deadline).min()
    }

    /// Declares dead every suspect whose timer ran out (in node order, for determinism).
    mutating func expireSuspicions(now: Duration, into out: inout [SWIM.Directive]) {
        guard let earliest = earliestSuspicionDeadline, now >= earliest else { return }
        let expired = suspicions.filter { $0.value.deadline <= now }.keys.sorted()
        for node in expired {
            guard let member = memberTable[node], member.status == .suspect else {
                suspicions[node] = nil
                continue
            }
            apply(.dead(node: node, incarnation: member.incarnation, declaredBy: myself), now: now, into: &out)
        }
        refreshSuspicionDeadline()
    }
}
