import ShoalCore

/// The bulk lane: request bodies streamed to a peer over a second connection of their own,
/// without CURVE, each chunk sealed under a key that went in the request's head over the
/// peer's CURVE connection (``SealedBody``). Credit and aborts stay on that connection.
///
/// A node learns where a peer's lane listens by asking it once (a request on
/// ``Envelope/Channel/transport``); until the answer comes, bodies to it stream through
/// CURVE as before. The lane and the CURVE connection are not ordered with each other, so a
/// chunk may arrive before its head: such messages wait, bounded, for the head. Both of the
/// lane's timings (how long such messages wait, how long a peer without a lane is left
/// alone) are deadlines on the engine's timer, so they run on its injected clock.
extension TransportEngine {
    /// An incoming sealed body: its receiver, key, and the stream it belongs to.
    struct BulkInbound: Sendable {
        let receiver: ChunkReceiver
        let seal: SealedBody
        let key: ServerKey
    }

    /// Lane messages for a token whose head has not arrived yet.
    struct EarlyBulk: Sendable {
        var messages: [(Envelope, [UInt8])] = []
        var bytes = 0
    }

    /// What this node knows of a peer's lane.
    enum Lane: Sendable {
        /// The question is on its way.
        case asking
        case open
        /// The peer has none, or did not answer; asked again once ``laneRetry`` has passed.
        case unavailable
    }

    /// How long a peer without a lane (or one that did not answer) is not asked again.
    static let laneRetry: Duration = .seconds(30)

    /// Whether bodies to `peer` take its lane now. Asks the peer (once, in the background)
    /// when its lane is not known yet.
    func bulkLaneIsOpen(to peer: ClusterAddress) -> Bool {
        guard wire.bulkPort != nil else { return false }
        let ask: Bool = state.withLock { state in
            switch state.lanes[peer] {
            case .open, .asking, .unavailable: return false
            case nil:
                state.lanes[peer] = .asking
                return true
            }
        }
        if ask { Task { await self.findLane(of: peer) } }
        return state.withLock { if case .open = $0.lanes[peer] { true } else { false } }
    }

    /// Asks `peer` where its lane listens and opens it on the wire.
    private func findLane(of peer: ClusterAddress) async {
        var port: UInt16 = 0
        if let response = try? await request(TransportRequest(channel: .transport, head: []), to: peer, timeout: .seconds(5)) {
            var reader = ByteReader(response.head)
            port = (try? reader.readUInt16()) ?? 0
        }
        if port != 0 { wire.openBulkLane(to: peer, port: port) }
        state.withLock { $0.lanes[peer] = port != 0 ? .open : .unavailable }
        guard port == 0 else { return }
        deadlines.schedule(after: Self.laneRetry) { [weak self] in
            self?.state.withLock { state in
                if case .unavailable = state.lanes[peer] { state.lanes[peer] = nil }
            }
        }
    }

    /// Answers a peer's question for this node's lane: its port (0 for none).
    func answerTransportQuery(key: ServerKey) {
        var writer = ByteWriter(reservingCapacity: 2)
        writer.write(wire.bulkPort ?? 0)
        let response = Envelope(kind: .response, channel: .transport, correlationID: key.id)
        _ = wire.post(response, payload: writer.bytes, to: .route(key.route), force: true)
    }

    /// A message arrived on this node's bulk lane. Anyone can connect to the lane: a message
    /// is only ever handed to the body whose token it names, which opens it with the body's
    /// key, and the end must open and count every chunk before the body ends.
    public func receive(bulk envelope: Envelope, payload: [UInt8]) {
        guard envelope.kind == .streamChunk || envelope.kind == .streamEnd else {
            return counters.droppedMalformed.bump()
        }
        let (limit, window) = (configuration.earlyBulkBytes, configuration.streamWindow)
        let token = envelope.correlationID
        let (inbound, firstEarly): (BulkInbound?, Bool) = state.withLock { state in
            if let inbound = state.bulkIncoming[token] { return (inbound, false) }
            let first = state.earlyBulk[token] == nil
            // A straggler of a body that is over, or more than the lane may hold: dropped.
            if state.retiredBulk.contains(token) || !state.stashEarlyBulk(envelope, payload, limit: limit, window: window) {
                counters.strayStreamMessages.bump()
                return (nil, false)
            }
            return (nil, first)
        }
        if let inbound { deliver(bulk: envelope, payload: payload, to: inbound) }
        // What waits for a head that never comes is dropped after the stream's idle timeout
        // (a head that comes meanwhile takes it first, and this finds nothing).
        if firstEarly {
            deadlines.schedule(after: configuration.streamIdleTimeout) { [weak self] in
                _ = self?.state.withLock { $0.takeEarlyBulk(token) }
            }
        }
    }

    /// Hands what came before the head to the body, in arrival order.
    func replay(_ early: EarlyBulk) {
        for (envelope, payload) in early.messages { receive(bulk: envelope, payload: payload) }
    }

    private func deliver(bulk envelope: Envelope, payload: [UInt8], to inbound: BulkInbound) {
        guard envelope.kind == .streamEnd else {
            // Opened by the consumer as it pulls (``SealedChunkOpener``), off this thread.
            return inbound.receiver.deliver(payload, sequence: envelope.sequence)
        }
        let valid = (try? inbound.seal.open(payload, for: envelope)) != nil
        guard valid, envelope.sequence == inbound.receiver.delivered else {
            // Not the end of this body: someone else's bytes, or the count is wrong.
            counters.strayStreamMessages.bump()
            if valid { inbound.receiver.cancel(reason: "sealed body ended after \(envelope.sequence) chunks of \(inbound.receiver.delivered)") }
            return
        }
        guard state.withLock({ $0.removeServerIncoming(inbound.key) }) != nil else { return }
        inbound.receiver.finish()
    }
}

extension TransportEngine.State {
    /// Keeps a lane message until its head arrives: at most a window (and the end) per
    /// body and `limit` bytes in all. False when the message was dropped.
    mutating func stashEarlyBulk(_ envelope: Envelope, _ payload: [UInt8], limit: Int, window: Int) -> Bool {
        let token = envelope.correlationID
        var entry = earlyBulk[token] ?? TransportEngine.EarlyBulk()
        guard entry.messages.count <= window, earlyBulkBytes + payload.count <= limit else { return false }
        entry.messages.append((envelope, payload))
        entry.bytes += payload.count
        earlyBulkBytes += payload.count
        earlyBulk[token] = entry
        return true
    }

    /// Removes and returns what waited for `token`'s head.
    mutating func takeEarlyBulk(_ token: UInt64) -> TransportEngine.EarlyBulk? {
        guard let entry = earlyBulk.removeValue(forKey: token) else { return nil }
        earlyBulkBytes -= entry.bytes
        return entry
    }
}

extension SealedBody {
    /// A seal for one new body: key and token from the system's secure generator.
    static func random() -> SealedBody {
        var generator = SystemRandomNumberGenerator()
        let key = (0..<keyBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        // Both are in range, so the seal always exists.
        return SealedBody(key: key, token: UInt64.random(in: 1 ... .max, using: &generator))!
    }
}

/// The consumer's view of a sealed body: each chunk opened as it is pulled, in order (the
/// receiver delivers them in sequence). A chunk that does not open fails the body and tells
/// the sender.
final class SealedChunkOpener: @unchecked Sendable {
    // One consumer pulls at a time, as from every ChunkStream; nothing else touches these.
    private var inner: ChunkStream.AsyncIterator
    private var sequence: UInt32 = 0
    private let receiver: ChunkReceiver
    private let seal: SealedBody
    private let channel: Envelope.Channel

    init(receiver: ChunkReceiver, seal: SealedBody, channel: Envelope.Channel) {
        self.inner = receiver.makeStream().makeAsyncIterator()
        self.receiver = receiver
        self.seal = seal
        self.channel = channel
    }

    var stream: ChunkStream { ChunkStream { try await self.next() } }

    private func next() async throws -> [UInt8]? {
        guard let sealed = try await inner.next() else { return nil }
        let envelope = seal.envelope(.streamChunk, channel: channel, sequence: sequence)
        sequence &+= 1
        do {
            return try seal.open(sealed, for: envelope)
        } catch {
            receiver.cancel(reason: "sealed chunk \(envelope.sequence) did not open")
            throw TransportError.protocolViolation("sealed chunk \(envelope.sequence) did not open")
        }
    }
}
