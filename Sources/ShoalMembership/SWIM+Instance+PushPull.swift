import ShoalCore

extension SWIM.Instance {
    /// Joins a cluster through `seeds` (their node ids are not known yet): sends each a
    /// push-pull request. Retried every `joinRetryInterval` until another member is known.
    public mutating func join(seeds: [ClusterAddress], now: Duration) -> [SWIM.Directive] {
        var out: [SWIM.Directive] = []
        joinSeeds = seeds.filter { $0 != myMeta.clusterAddress }
        guard !joinSeeds.isEmpty, !hasLeft else { return out }
        sendJoin(now: now, into: &out)
        return out
    }

    mutating func sendJoin(now: Duration, into out: inout [SWIM.Directive]) {
        nextJoinAttemptAt = now + settings.joinRetryInterval
        for seed in joinSeeds { out.append(.send(pushPullMessage(isReply: false), to: seed)) }
    }

    /// This node's full state as a push-pull message.
    func pushPullMessage(isReply: Bool) -> SWIM.Message {
        let state = SWIM.PushPull(isReply: isReply, members: memberOrder.map { memberTable[$0]!.state }, devices: deviceSet)
        return SWIM.Message(sender: myself, senderAddress: myMeta.clusterAddress, payload: .pushPull(state))
    }

    /// Anti-entropy with one random alive member, plus (Serf's reconnect) one random dead
    /// member that still owns active devices, so partitions heal.
    mutating func pushPullPeriodically(now: Duration, into out: inout [SWIM.Directive]) {
        if let peer = randomMembers(count: 1, excluding: nil).first, let address = memberTable[peer]?.meta.clusterAddress {
            out.append(.send(pushPullMessage(isReply: false), to: address))
        }
        let owners = deviceSet.activeNodes
        let dead = memberOrder.filter { memberTable[$0]?.status == .dead && owners.contains($0) }
        if !dead.isEmpty, let address = memberTable[dead[Int(random.next() % UInt64(dead.count))]]?.meta.clusterAddress {
            out.append(.send(pushPullMessage(isReply: false), to: address))
        }
    }

    /// Merges a peer's full state (members, then devices); answers a request with our state
    /// after the merge, so refutations made while merging travel back at once.
    mutating func onPushPull(_ state: SWIM.PushPull, from message: SWIM.Message, now: Duration, into out: inout [SWIM.Directive]) {
        for entry in state.members { merge(entry, from: message.sender, now: now, into: &out) }
        let news = deviceSet.merge(state.devices)
        if !news.isEmpty {
            out.append(.deviceSetChanged(news))
            for record in news { enqueueGossip(.device(record)) }
        }
        if !state.isReply {
            out.append(.send(pushPullMessage(isReply: true), to: message.senderAddress))
        }
    }

    // MARK: Administration

    /// Adds (or updates) devices in the cluster's device set and gossips them: new ones as
    /// `state` (`joining` in a running cluster, `active` when founding one).
    public mutating func joinDevices(_ devices: [DeviceSpec], as state: DeviceRecord.State = .active, now: Duration) -> [SWIM.Directive] {
        guard !devices.isEmpty else { return [] }
        var records: [DeviceRecord] = []
        for device in devices {
            let record = deviceSet.join(device, as: state, by: myself)
            records.append(record)
            enqueueGossip(.device(record))
        }
        return [.deviceSetChanged(records)]
    }

    /// Removes `node` from the cluster (`shoal remove`): tombstones its devices and marks it
    /// `left` one incarnation above what is known, and gossips both.
    public mutating func removeNode(_ node: NodeID, now: Duration) -> [SWIM.Directive] {
        var out: [SWIM.Directive] = []
        let tombstones = deviceSet.removeNode(node, by: myself)
        if !tombstones.isEmpty {
            out.append(.deviceSetChanged(tombstones))
            for record in tombstones { enqueueGossip(.device(record)) }
        }
        let known = node == myself ? incarnation : (memberTable[node]?.incarnation ?? 0)
        apply(.left(node: node, incarnation: known + 1), now: now, into: &out)
        return out
    }

    /// Marks joining devices active (every partition moved to them has arrived) and gossips it.
    public mutating func activateDevices(_ ids: [DeviceID]) -> [SWIM.Directive] {
        let records = ids.compactMap { deviceSet.activate($0, by: myself) }
        guard !records.isEmpty else { return [] }
        for record in records { enqueueGossip(.device(record)) }
        return [.deviceSetChanged(records)]
    }

    /// Drains `node`: its devices leave the ring (partitions move to new owners) while the
    /// node stays a member, serving and pushing its data away until it removes itself.
    public mutating func drainNode(_ node: NodeID) -> [SWIM.Directive] {
        let records = deviceSet.drainNode(node, by: myself)
        guard !records.isEmpty else { return [] }
        for record in records { enqueueGossip(.device(record)) }
        return [.deviceSetChanged(records)]
    }

    /// Changes this node's meta (address, REST URL, zone, resources): bumps the incarnation
    /// so the new meta wins everywhere, and gossips it.
    public mutating func updateMeta(_ meta: SWIM.MemberMeta, now: Duration) -> [SWIM.Directive] {
        var out: [SWIM.Directive] = []
        guard !hasLeft else { return out }
        myMeta = meta
        incarnation += 1
        setMember(myself, status: .alive, incarnation: incarnation, meta: meta, now: now, into: &out)
        enqueueGossip(.alive(node: myself, incarnation: incarnation, meta: meta))
        return out
    }

    /// Seeds the member table from a snapshot (a persisted view, or a simulation that
    /// starts converged) without gossiping it. Entries about this node are ignored.
    public mutating func restore(members: [SWIM.MemberState], now: Duration) {
        var ignored: [SWIM.Directive] = []
        for state in members where state.node != myself {
            if let current = memberTable[state.node], current.incarnation >= state.incarnation { continue }
            setMember(
                state.node, status: state.status, incarnation: state.incarnation, meta: state.meta,
                now: now, into: &ignored, updateProbeOrder: false)
            if state.status == .suspect {
                startSuspicion(of: state.node, incarnation: state.incarnation, suspector: myself, now: now)
            }
        }
        probeOrder = []  // rebuilt, shuffled, at the next probe
        probeIndex = 0
        // Spread push-pulls over the interval that suits the restored size.
        nextPushPullAt = now + scaledPushPullInterval.scaled(by: Double(random.next() % 1_000) / 1_000)
    }
}
