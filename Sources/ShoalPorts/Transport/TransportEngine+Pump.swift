import ShoalCore

/// Sending a streamed body: one chunk per unit of credit, then `.streamEnd`.
extension TransportEngine {
    /// Sends `body` to `destination` as stream `id`, waiting for credit before each chunk.
    /// Called by the engine for request bodies (to a peer) and response bodies (back along a
    /// route). On any failure the receiver is told with a `.streamAbort` by the sender.
    func pump(_ body: ChunkStream, gate: CreditGate, id: UInt64, channel: Envelope.Channel, to destination: WireDestination) async {
        var sequence: UInt32 = 0
        let maxChunk = max(1, configuration.maxChunkBytes)
        do {
            for try await chunk in body {
                var start = 0
                while start < chunk.count {
                    let end = min(chunk.count, start + maxChunk)
                    let piece = start == 0 && end == chunk.count ? chunk : Array(chunk[start..<end])
                    start = end
                    try await gate.acquire()
                    let envelope = Envelope(kind: .streamChunk, channel: channel, correlationID: id, sequence: sequence)
                    guard await wire.deliver(envelope, payload: piece, to: destination) else {
                        throw TransportError.streamAborted("peer unreachable")
                    }
                    sequence &+= 1
                }
            }
            if let failure = gate.failure { throw failure }
            let end = Envelope(kind: .streamEnd, channel: channel, correlationID: id)
            _ = wire.post(end, payload: [], to: destination, force: true)
        } catch {
            let abort = Envelope(kind: .streamAbort, channel: channel, correlationID: id, sequence: Envelope.AbortSide.bySender)
            _ = wire.post(abort, payload: Array("sender gave up: \(error)".utf8), to: destination, force: true)
            gate.fail(.streamAborted("\(error)"))
        }
        forgetGate(id: id, destination: destination)
    }

    private func forgetGate(id: UInt64, destination: WireDestination) {
        switch destination {
        case .peer: _ = state.withLock { $0.clientOutgoing.removeValue(forKey: id) }
        case .route(let route): _ = state.withLock { $0.serverOutgoing.removeValue(forKey: ServerKey(route: route, id: id)) }
        }
    }
}
