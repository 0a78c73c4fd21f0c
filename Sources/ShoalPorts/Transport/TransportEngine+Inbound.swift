import ShoalCore

/// The receive paths: what the engine does with each envelope its wire hands it.
extension TransportEngine {
    /// A message arrived at the listening side (a ROUTER on ZeroMQ) over connection `route`.
    public func receive(fromClient route: [UInt8], envelope: Envelope, payload: [UInt8]) {
        let key = ServerKey(route: route, id: envelope.correlationID)
        switch envelope.kind {
        case .oneway:
            deliverOneway(payload, on: envelope.channel)
        case .request:
            startHandler(route: route, envelope: envelope, head: payload)
        case .streamChunk:
            guard let receiver = state.withLock({ $0.bulkTokens[key] == nil ? $0.serverIncoming[key] : nil }) else {
                return stray(envelope, answerTo: .route(route))
            }
            receiver.deliver(payload, sequence: envelope.sequence)
        case .streamEnd:
            // A sealed body's end comes over the bulk lane, never here.
            guard let receiver = state.withLock({ $0.bulkTokens[key] == nil ? $0.removeServerIncoming(key) : nil }) else {
                return counters.strayStreamMessages.bump()
            }
            receiver.finish()
        case .streamAbort where envelope.sequence == Envelope.AbortSide.byReceiver:
            state.withLock { $0.serverOutgoing.removeValue(forKey: key) }?.fail(.streamAborted(reason(payload)))
        case .streamAbort:
            state.withLock { $0.removeServerIncoming(key) }?.fail(.streamAborted(reason(payload)))
        case .streamCredit:
            guard let gate = state.withLock({ $0.serverOutgoing[key] }) else {
                return counters.strayStreamMessages.bump()
            }
            gate.grant(Int(envelope.sequence))
        case .response:
            counters.strayStreamMessages.bump()
        }
    }

    /// A message came back from `peer`, which this node called (a DEALER on ZeroMQ).
    public func receive(fromServer peer: ClusterAddress, envelope: Envelope, payload: [UInt8]) {
        let id = envelope.correlationID
        switch envelope.kind {
        case .response:
            settleResponse(from: peer, envelope: envelope, head: payload)
        case .streamChunk:
            guard let receiver = state.withLock({ $0.clientIncoming[id] }) else {
                return stray(envelope, answerTo: .peer(peer))
            }
            receiver.deliver(payload, sequence: envelope.sequence)
        case .streamEnd:
            guard let receiver = state.withLock({ $0.clientIncoming.removeValue(forKey: id) }) else {
                return counters.strayStreamMessages.bump()
            }
            receiver.finish()
        case .streamAbort where envelope.sequence == Envelope.AbortSide.byReceiver:
            state.withLock { $0.clientOutgoing.removeValue(forKey: id) }?.fail(.streamAborted(reason(payload)))
        case .streamAbort:
            state.withLock { $0.clientIncoming.removeValue(forKey: id) }?.fail(.streamAborted(reason(payload)))
        case .streamCredit:
            guard let gate = state.withLock({ $0.clientOutgoing[id] }) else {
                return counters.strayStreamMessages.bump()
            }
            gate.grant(Int(envelope.sequence))
        case .oneway, .request:
            counters.strayStreamMessages.bump()
        }
    }

    /// The wire could not deliver a message it had accepted (peer down past the connect
    /// grace, requester gone): fail whatever was waiting on it.
    public func undeliverable(_ envelope: Envelope, to destination: WireDestination, error: TransportError) {
        counters.undeliverable.bump()
        let id = envelope.correlationID
        switch (destination, envelope.kind) {
        case (.peer, .request):
            complete(id, with: .failure(error))
        case (.peer, .streamChunk):
            state.withLock { $0.clientOutgoing.removeValue(forKey: id) }?.fail(error)
        case (.peer, .streamCredit):
            state.withLock { $0.clientIncoming.removeValue(forKey: id) }?.fail(error)
        case (.route(let route), .response), (.route(let route), .streamChunk):
            let key = ServerKey(route: route, id: id)
            state.withLock { $0.serverOutgoing.removeValue(forKey: key) }?.fail(.streamAborted("requester unreachable"))
        case (.route(let route), .streamCredit):
            let key = ServerKey(route: route, id: id)
            state.withLock { $0.removeServerIncoming(key) }?.fail(.streamAborted("sender unreachable"))
        case (.bulk(let peer), .streamChunk), (.bulk(let peer), .streamEnd):
            // The lane is gone (the peer restarted on another port, say): ask again next time.
            let gate: CreditGate? = state.withLock { state in
                state.lanes[peer] = nil
                return state.bulkOutgoing.removeValue(forKey: id).flatMap { state.clientOutgoing.removeValue(forKey: $0) }
            }
            gate?.fail(error)
        default:
            break
        }
    }

    // MARK: Helpers

    private func reason(_ payload: [UInt8]) -> String {
        String(decoding: payload.prefix(1024), as: UTF8.self)
    }

    /// A chunk for no stream: tell the sender to stop so it does not wait for credit.
    private func stray(_ envelope: Envelope, answerTo destination: WireDestination) {
        counters.strayStreamMessages.bump()
        let abort = Envelope(
            kind: .streamAbort, channel: envelope.channel, correlationID: envelope.correlationID,
            sequence: Envelope.AbortSide.byReceiver
        )
        _ = wire.post(abort, payload: Array("no such stream".utf8), to: destination, force: true)
    }

    private func deliverOneway(_ payload: [UInt8], on channel: Envelope.Channel) {
        guard let endpoint = state.withLock({ $0.endpoints[channel] }) else {
            return counters.droppedOneway.bump()
        }
        if case .dropped = endpoint.oneway.yield(payload) { counters.droppedOneway.bump() }
    }

    /// The response to request `id` arrived: hand it (and its body stream) to the caller.
    private func settleResponse(from peer: ClusterAddress, envelope: Envelope, head payload: [UInt8]) {
        let id = envelope.correlationID
        if envelope.sequence & Envelope.HeadFlags.transportError != 0 {
            let message = reason(payload)
            if !complete(id, with: .failure(.remote(status: envelope.status, message: message))) {
                counters.lateResponses.bump()
            }
            return
        }
        let head: [UInt8], inline: [UInt8]?
        switch split(payload, of: envelope) {
        case .success(let parts): (head, inline) = parts
        case .failure(let error):
            complete(id, with: .failure(.protocolViolation("inline response body: \(error)")))
            return
        }
        let hasBody = inline == nil && envelope.sequence & Envelope.HeadFlags.hasBody != 0
        let receiver = hasBody ? makeReceiver(channel: envelope.channel, id: id, destination: .peer(peer)) : nil
        let isPending: Bool = state.withLock { state in
            guard let entry = state.pending[id], entry.result == nil else { return false }
            if let receiver { state.clientIncoming[id] = receiver }
            return true
        }
        guard isPending else {
            counters.lateResponses.bump()
            if hasBody { stray(Envelope(kind: .streamChunk, channel: envelope.channel, correlationID: id), answerTo: .peer(peer)) }
            return
        }
        let body = inline.map { ChunkStream.bytes($0) } ?? receiver?.makeStream()
        let response = TransportResponse(status: envelope.status, head: head, body: body, bodyLengthHint: inline?.count)
        if !complete(id, with: .success(response)) {
            counters.lateResponses.bump()
            receiver?.cancel(reason: "request already settled")
        }
    }

    /// The head and, for an `inlineBody` message, the body it carries; a payload that does
    /// not split is counted as malformed.
    private func split(_ payload: [UInt8], of envelope: Envelope) -> Result<([UInt8], [UInt8]?), WireError> {
        guard envelope.sequence & Envelope.HeadFlags.inlineBody != 0 else { return .success((payload, nil)) }
        do throws(WireError) {
            let (head, body) = try InlineBody.decode(payload)
            return .success((head, body))
        } catch {
            counters.droppedMalformed.bump()
            return .failure(error)
        }
    }

    /// A receiver whose credit and abandonment travel to `destination`.
    func makeReceiver(channel: Envelope.Channel, id: UInt64, destination: WireDestination) -> ChunkReceiver {
        let wire = self.wire
        let counters = self.counters
        return ChunkReceiver(
            window: configuration.streamWindow, idleTimeout: configuration.streamIdleTimeout, deadlines: deadlines,
            grant: { [weak self] count in
                let credit = Envelope(kind: .streamCredit, channel: channel, correlationID: id, sequence: UInt32(count))
                if !wire.post(credit, payload: [], to: destination, force: true) {
                    self?.undeliverable(credit, to: destination, error: .streamAborted("sender unreachable"))
                }
            },
            abandon: { [weak self] reason in
                let abort = Envelope(kind: .streamAbort, channel: channel, correlationID: id, sequence: Envelope.AbortSide.byReceiver)
                _ = wire.post(abort, payload: Array(reason.utf8), to: destination, force: true)
                self?.forgetReceiver(id: id, destination: destination)
            },
            onBuffered: { counters.noteBuffered($0) }
        )
    }

    private func forgetReceiver(id: UInt64, destination: WireDestination) {
        switch destination {
        case .peer: _ = state.withLock { $0.clientIncoming.removeValue(forKey: id) }
        case .route(let route): _ = state.withLock { $0.removeServerIncoming(ServerKey(route: route, id: id)) }
        case .bulk: break  // receivers answer on the peer's own connection, never on a lane
        }
    }

    /// Runs the channel's handler for a request in its own task, then sends the response
    /// (and streams its body) back along `route`.
    private func startHandler(route: [UInt8], envelope: Envelope, head payload: [UInt8]) {
        let key = ServerKey(route: route, id: envelope.correlationID)
        if envelope.channel == .transport { return answerTransportQuery(key: key) }
        var head: [UInt8], inline: [UInt8]?
        var sealed: SealedBody?
        switch split(payload, of: envelope) {
        case .success(let parts): (head, inline) = parts
        case .failure(let error):
            let refusal = Envelope(
                kind: .response, channel: envelope.channel, status: .badRequest,
                correlationID: key.id, sequence: Envelope.HeadFlags.transportError
            )
            _ = wire.post(refusal, payload: Array("inline request body: \(error)".utf8), to: .route(route), force: true)
            return
        }
        let hasBody = inline == nil && envelope.sequence & Envelope.HeadFlags.hasBody != 0
        if hasBody, envelope.sequence & Envelope.HeadFlags.sealedBody != 0 {
            do throws(WireError) {
                (sealed, head) = try SealedBody.decode(head)
            } catch {
                counters.droppedMalformed.bump()
                let refusal = Envelope(
                    kind: .response, channel: envelope.channel, status: .badRequest,
                    correlationID: key.id, sequence: Envelope.HeadFlags.transportError
                )
                _ = wire.post(refusal, payload: Array("sealed request body: \(error)".utf8), to: .route(route), force: true)
                return
            }
        }
        let receiver = hasBody ? makeReceiver(channel: envelope.channel, id: key.id, destination: .route(route)) : nil
        var early: EarlyBulk?
        let endpoint: Endpoint? = state.withLock { state in
            guard !state.closed, let endpoint = state.endpoints[envelope.channel] else { return nil }
            if let receiver { state.serverIncoming[key] = receiver }
            if let receiver, let sealed {
                // A token already in use (2^-64) would mix two bodies: the second one's
                // chunks then fail to open and its stream fails, the first is unharmed.
                if state.bulkIncoming[sealed.token] == nil {
                    state.bulkIncoming[sealed.token] = BulkInbound(receiver: receiver, seal: sealed, key: key)
                    state.bulkTokens[key] = sealed.token
                }
                early = state.takeEarlyBulk(sealed.token)
            }
            return endpoint
        }
        guard let endpoint else {
            if hasBody {
                stray(Envelope(kind: .streamChunk, channel: envelope.channel, correlationID: key.id), answerTo: .route(route))
            }
            let refusal = Envelope(
                kind: .response, channel: envelope.channel, status: .unavailable,
                correlationID: key.id, sequence: Envelope.HeadFlags.transportError
            )
            _ = wire.post(refusal, payload: Array("no handler for \(envelope.channel)".utf8), to: .route(route), force: true)
            return
        }
        let stream = receiver.map { receiver in
            sealed.map { SealedChunkOpener(receiver: receiver, seal: $0, channel: envelope.channel).stream }
                ?? receiver.makeStream()
        }
        let body = inline.map { ChunkStream.bytes($0) } ?? stream
        let request = TransportRequest(channel: envelope.channel, head: head, body: body, bodyLengthHint: inline?.count)
        if let early { replay(early) }
        Task {
            let response = await endpoint.handler.respond(to: request)
            receiver?.cancel(reason: "handler returned without reading the body")
            await self.sendResponse(response, key: key, channel: envelope.channel)
        }
    }

    private func sendResponse(_ response: TransportResponse, key: ServerKey, channel: Envelope.Channel) async {
        var response = response
        let inline = await inlineBody(of: &response.body, hint: response.bodyLengthHint)
        let gate = response.body.map { _ in
            CreditGate(initialCredit: configuration.streamWindow, idleTimeout: configuration.streamIdleTimeout, deadlines: deadlines)
        }
        if let gate {
            let open = state.withLock { state in
                guard !state.closed else { return false }
                state.serverOutgoing[key] = gate
                return true
            }
            guard open else { return }
        }
        let envelope = Envelope(
            kind: .response, channel: channel, status: response.status, correlationID: key.id,
            sequence: inline != nil ? Envelope.HeadFlags.inlineBody : gate == nil ? 0 : Envelope.HeadFlags.hasBody
        )
        let payload = inline.map { InlineBody.encode(head: response.head, body: $0) } ?? response.head
        guard await wire.deliver(envelope, payload: payload, to: .route(key.route)) else {
            _ = state.withLock { $0.serverOutgoing.removeValue(forKey: key) }
            return
        }
        if let gate, let body = response.body {
            await pump(body, gate: gate, id: key.id, channel: channel, to: .route(key.route))
        }
    }
}
