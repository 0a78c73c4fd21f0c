import ShoalCore

/// Sending a streamed body: one chunk per unit of credit, then `.streamEnd`.
extension TransportEngine {
    /// Sends `body` to `destination` as stream `id`, waiting for credit before each chunk.
    /// Called by the engine for request bodies (to a peer) and response bodies (back along a
    /// route). On any failure the receiver is told with a `.streamAbort` by the sender.
    ///
    /// With `sealed`, the chunks and the end go over the peer's bulk lane, each sealed and
    /// numbered under the body's token (``SealedBody``); credit and aborts still travel with
    /// `id` on the peer's own connection.
    func pump(
        _ body: ChunkStream, gate: CreditGate, id: UInt64, channel: Envelope.Channel, to destination: WireDestination,
        sealed: SealedBody? = nil
    ) async {
        var sequence: UInt32 = 0
        let maxChunk = max(1, configuration.maxChunkBytes)
        let lane: WireDestination = switch (destination, sealed) {
        case (.peer(let peer), .some): .bulk(peer)
        default: destination
        }
        do {
            for try await chunk in body {
                var start = 0
                while start < chunk.count {
                    let end = min(chunk.count, start + maxChunk)
                    let piece = start == 0 && end == chunk.count ? chunk : Array(chunk[start..<end])
                    start = end
                    try await gate.acquire()
                    guard sequence < UInt32.max else { throw TransportError.bodyTooLarge(limit: Int(UInt32.max) * maxChunk) }
                    let envelope: Envelope, payload: [UInt8]
                    if let sealed {
                        envelope = sealed.envelope(.streamChunk, channel: channel, sequence: sequence)
                        payload = sealed.seal(piece, for: envelope)
                    } else {
                        envelope = Envelope(kind: .streamChunk, channel: channel, correlationID: id, sequence: sequence)
                        payload = piece
                    }
                    guard await wire.deliver(envelope, payload: payload, to: lane) else {
                        throw TransportError.streamAborted("peer unreachable")
                    }
                    sequence &+= 1
                }
            }
            if let failure = gate.failure { throw failure }
            if let sealed {
                // The end is sealed too, and names the count: a lane cannot cut a body short.
                let end = sealed.envelope(.streamEnd, channel: channel, sequence: sequence)
                _ = wire.post(end, payload: sealed.seal([], for: end), to: lane, force: true)
            } else {
                _ = wire.post(Envelope(kind: .streamEnd, channel: channel, correlationID: id), payload: [], to: destination, force: true)
            }
        } catch {
            let abort = Envelope(kind: .streamAbort, channel: channel, correlationID: id, sequence: Envelope.AbortSide.bySender)
            _ = wire.post(abort, payload: Array("sender gave up: \(error)".utf8), to: destination, force: true)
            gate.fail(.streamAborted("\(error)"))
        }
        forgetGate(id: id, destination: destination, token: sealed?.token)
    }

    private func forgetGate(id: UInt64, destination: WireDestination, token: UInt64?) {
        switch destination {
        case .peer, .bulk:
            state.withLock { state in
                state.clientOutgoing[id] = nil
                if let token { state.bulkOutgoing[token] = nil }
            }
        case .route(let route): _ = state.withLock { $0.serverOutgoing.removeValue(forKey: ServerKey(route: route, id: id)) }
        }
    }
}
