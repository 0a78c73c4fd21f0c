import ShoalCore
import Synchronization

/// The message-level half of a cluster transport, shared by every adapter so that they
/// keep the same semantics: correlation of requests and responses, per-request timeouts,
/// handler dispatch, and streamed bodies under credit-based flow control.
///
/// An adapter (``ShoalZeroMQ``'s `ZeroMQTransport`, ``ShoalSimulation``'s
/// `InMemoryTransport`) owns one engine and one ``TransportWire``. It forwards the
/// ``ClusterTransport`` calls to the engine and feeds every message its wire receives to
/// ``receive(fromClient:envelope:payload:)`` (arrived at the listening side) or
/// ``receive(fromServer:envelope:payload:)`` (arrived back from a peer it called).
public final class TransportEngine: Sendable {
    /// Knobs shared by both ends of every stream; both ends must agree on `streamWindow`.
    public struct Configuration: Sendable {
        /// Chunks a sender may have outstanding per stream (the implicit initial credit).
        public var streamWindow: Int = 8
        /// A body with no progress for this long is aborted (both directions).
        public var streamIdleTimeout: Duration = .seconds(30)
        /// Larger chunks from a body are cut to this size on the wire.
        public var maxChunkBytes: Int = 1 << 20
        /// One-way messages buffered per channel before new ones are dropped.
        public var onewayBufferPerChannel: Int = 4096
        /// A body whose sender hints it is at most this long (``TransportRequest/bodyLengthHint``)
        /// is read ahead and, when it ends within this many bytes, sent in the head's
        /// message (``InlineBody``): one message instead of head, chunk and end. 0 turns it off.
        public var inlineBodyBytes: Int = 64 << 10
        /// Bytes of bulk-lane messages held for streams whose head has not arrived yet (the
        /// lane and the head's connection are not ordered with each other).
        public var earlyBulkBytes: Int = 64 << 20

        public init() {}
    }

    struct ServerKey: Hashable, Sendable {
        let route: [UInt8]
        let id: UInt64
    }

    struct Endpoint: Sendable {
        let handler: any TransportHandler
        let oneway: AsyncStream<[UInt8]>.Continuation
        let consumer: Task<Void, Never>
    }

    struct Pending {
        var continuation: CheckedContinuation<Result<TransportResponse, TransportError>, Never>?
        var result: Result<TransportResponse, TransportError>?
        var timer: DeadlineTimer.Handle?
        var pump: Task<Void, Never>?
    }

    struct State {
        var closed = false
        var endpoints: [Envelope.Channel: Endpoint] = [:]
        var pending: [UInt64: Pending] = [:]
        var clientOutgoing: [UInt64: CreditGate] = [:]
        var clientIncoming: [UInt64: ChunkReceiver] = [:]
        var serverIncoming: [ServerKey: ChunkReceiver] = [:]
        var serverOutgoing: [ServerKey: CreditGate] = [:]
        /// Sealed bodies arriving on this node's bulk lane, by token.
        var bulkIncoming: [UInt64: BulkInbound] = [:]
        var bulkTokens: [ServerKey: UInt64] = [:]
        /// Lane messages that came before their head.
        var earlyBulk: [UInt64: EarlyBulk] = [:]
        var earlyBulkBytes = 0
        /// Tokens of bodies that ended or failed lately: their stragglers are dropped, not kept.
        var retiredBulk = Set<UInt64>()
        var retiredBulkOrder: [UInt64] = []
        /// Sealed bodies this node is sending: token → request id.
        var bulkOutgoing: [UInt64: UInt64] = [:]
        /// What this node knows of each peer's bulk lane.
        var lanes: [ClusterAddress: Lane] = [:]

        /// Forgets an incoming body (and its bulk lane entry): it ended, failed or was dropped.
        mutating func removeServerIncoming(_ key: ServerKey) -> ChunkReceiver? {
            if let token = bulkTokens.removeValue(forKey: key) {
                bulkIncoming[token] = nil
                retiredBulk.insert(token)
                retiredBulkOrder.append(token)
                if retiredBulkOrder.count > 1024 { retiredBulk.remove(retiredBulkOrder.removeFirst()) }
            }
            return serverIncoming.removeValue(forKey: key)
        }
    }

    let state = Mutex(State())
    /// Addresses whose requests are answered in process (``answerInProcess(at:)``).
    let inProcessAddresses = Mutex<Set<ClusterAddress>>([])
    let nextID = Atomic<UInt64>(0)
    let wire: any TransportWire
    /// Every deadline of the engine (requests, idle streams, the bulk lane), on its clock.
    let deadlines: DeadlineTimer
    /// The adapter's counters; the engine bumps the message-level ones.
    public let counters: TransportCounters
    public let configuration: Configuration

    public init(
        wire: any TransportWire, configuration: Configuration = Configuration(),
        clock: any Clock<Duration> = ContinuousClock(), counters: TransportCounters = TransportCounters()
    ) {
        self.wire = wire
        self.configuration = configuration
        deadlines = DeadlineTimer(clock: clock)
        self.counters = counters
    }

    /// Open streams in each table, for tests that check nothing leaks.
    public var openStreamCount: Int {
        state.withLock { state in
            state.clientOutgoing.count + state.clientIncoming.count + state.serverIncoming.count + state.serverOutgoing.count
                + state.bulkIncoming.count + state.bulkTokens.count + state.bulkOutgoing.count
        }
    }

    // MARK: ClusterTransport operations

    /// ``ClusterTransport/send(_:on:to:)``: best effort, never waits.
    public func send(_ payload: [UInt8], on channel: Envelope.Channel, to peer: ClusterAddress) -> Bool {
        guard !state.withLock({ $0.closed }) else { return false }
        return wire.post(Envelope(kind: .oneway, channel: channel), payload: payload, to: .peer(peer), force: false)
    }

    /// ``ClusterTransport/register(_:for:)``: one consumer task per channel delivers one-way
    /// messages in arrival order; requests each run in their own task.
    public func register(_ handler: any TransportHandler, for channel: Envelope.Channel) {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(
            bufferingPolicy: .bufferingOldest(configuration.onewayBufferPerChannel)
        )
        let consumer = Task {
            for await payload in stream { await handler.receive(oneway: payload, on: channel) }
        }
        let endpoint = Endpoint(handler: handler, oneway: continuation, consumer: consumer)
        let previous: Endpoint?? = state.withLock { state in
            guard !state.closed else { return .some(nil) }
            defer { state.endpoints[channel] = endpoint }
            return .some(state.endpoints[channel])
        }
        if case .some(.some(let old)) = previous { old.oneway.finish() }
        if state.withLock({ $0.closed }) {
            continuation.finish()
            consumer.cancel()
        }
    }

    /// ``ClusterTransport/request(_:to:timeout:)``. A request body starts streaming right
    /// after the head, with the implicit initial window as credit; the call returns when the
    /// response head arrives (the body may still be streaming). With a body, `timeout`
    /// counts from when the body has been sent (stalls meanwhile end the stream). A cancelled caller sees
    /// `.timedOut`, as if its deadline had come.
    public func request(
        _ request: TransportRequest, to peer: ClusterAddress, timeout: Duration
    ) async throws(TransportError) -> TransportResponse {
        if isInProcess(peer) { return try await requestInProcess(request, timeout: timeout) }
        var outgoing = request
        let inline = await inlineBody(of: &outgoing.body, hint: request.bodyLengthHint)
        let request = outgoing
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        let gate = request.body.map { _ in
            CreditGate(initialCredit: configuration.streamWindow, idleTimeout: configuration.streamIdleTimeout, deadlines: deadlines)
        }
        // A streamed body goes sealed over the peer's bulk lane once the peer has told us where it is.
        let sealed = gate != nil && bulkLaneIsOpen(to: peer) ? SealedBody.random() : nil
        let registered: Bool = state.withLock { state in
            guard !state.closed else { return false }
            state.pending[id] = Pending()
            if let gate { state.clientOutgoing[id] = gate }
            if let sealed { state.bulkOutgoing[sealed.token] = id }
            return true
        }
        guard registered else { throw .closed }
        // A streamed body may take long; while it flows the credit gate's idle timeout
        // bounds stalls, and the deadline for the answer starts when the body is sent.
        if gate == nil { startTimer(for: id, timeout: timeout) }

        let flags = inline != nil ? Envelope.HeadFlags.inlineBody
            : gate == nil ? 0 : Envelope.HeadFlags.hasBody | (sealed != nil ? Envelope.HeadFlags.sealedBody : 0)
        let envelope = Envelope(kind: .request, channel: request.channel, correlationID: id, sequence: flags)
        let payload = inline.map { InlineBody.encode(head: request.head, body: $0) }
            ?? sealed.map { $0.encode(head: request.head) } ?? request.head
        if await wire.deliver(envelope, payload: payload, to: .peer(peer)) {
            if let gate, let body = request.body {
                if sealed != nil { counters.sealedBodies.bump() }
                let pump = Task {
                    await self.pump(body, gate: gate, id: id, channel: request.channel, to: .peer(peer), sealed: sealed)
                    self.startTimer(for: id, timeout: timeout)
                }
                state.withLock { state in
                    if state.pending[id] != nil { state.pending[id]?.pump = pump }
                }
            }
        } else {
            complete(id, with: .failure(state.withLock { $0.closed } ? .closed : .unreachable(peer)))
        }

        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in attach(continuation, to: id) }
        } onCancel: {
            complete(id, with: .failure(.timedOut))
        }
        switch result {
        case .success(let response):
            return response
        case .failure(let error):
            if let gate {
                gate.fail(error)
                _ = wire.post(
                    Envelope(kind: .streamAbort, channel: request.channel, correlationID: id, sequence: Envelope.AbortSide.bySender),
                    payload: Array("request failed: \(error)".utf8), to: .peer(peer), force: true
                )
                state.withLock { state in
                    state.clientOutgoing[id] = nil
                    if let sealed { state.bulkOutgoing[sealed.token] = nil }
                }
            }
            throw error
        }
    }

    /// ``ClusterTransport/shutdown()``: fails every request and stream with `.closed` and
    /// stops the handlers' one-way consumers. The adapter stops its wire itself.
    public func close() {
        let closed: State? = state.withLock { state in
            guard !state.closed else { return nil }
            let snapshot = state
            state = State()
            state.closed = true
            return snapshot
        }
        guard let closed else { return }
        deadlines.shutdown()
        for (_, entry) in closed.pending {
            entry.pump?.cancel()
            entry.continuation?.resume(returning: .failure(.closed))
        }
        for gate in closed.clientOutgoing.values { gate.fail(.closed) }
        for gate in closed.serverOutgoing.values { gate.fail(.closed) }
        for receiver in closed.clientIncoming.values { receiver.fail(.closed) }
        for receiver in closed.serverIncoming.values { receiver.fail(.closed) }
        for endpoint in closed.endpoints.values {
            endpoint.oneway.finish()
            endpoint.consumer.cancel()
        }
    }

    public var isClosed: Bool { state.withLock { $0.closed } }

    /// A body hinted small enough, read ahead: its bytes when it ended within
    /// ``Configuration/inlineBodyBytes`` (and `body` becomes nil), or nil with `body`
    /// replaced by a stream that replays what was read and goes on as before (a longer
    /// body, or one whose source failed, streams as it always did).
    func inlineBody(of body: inout ChunkStream?, hint: Int?) async -> [UInt8]? {
        let limit = configuration.inlineBodyBytes
        guard let stream = body, let hint, hint <= limit, limit > 0 else { return nil }
        switch await stream.prefetch(upTo: limit) {
        case .whole(let bytes):
            body = nil
            counters.inlineBodies.bump()
            return bytes
        case .partial(let replay):
            body = replay
            return nil
        }
    }

    // MARK: Pending requests

    func startTimer(for id: UInt64, timeout: Duration) {
        deadlines.schedule(after: timeout, keptBy: { timer in
            state.withLock { state in
                guard state.pending[id] != nil, state.pending[id]?.result == nil else { return false }
                state.pending[id]?.timer = timer
                return true
            }
        }) { [weak self] in self?.complete(id, with: .failure(.timedOut)) }
    }

    func attach(
        _ continuation: CheckedContinuation<Result<TransportResponse, TransportError>, Never>, to id: UInt64
    ) {
        let ready: Result<TransportResponse, TransportError>? = state.withLock { state in
            guard let entry = state.pending[id] else { return .failure(.closed) }
            if let result = entry.result {
                state.pending.removeValue(forKey: id)
                return result
            }
            state.pending[id]?.continuation = continuation
            return nil
        }
        if let ready { continuation.resume(returning: ready) }
    }

    /// Settles request `id` once; later results for it are ignored. Returns false when the
    /// request was no longer pending.
    @discardableResult
    func complete(_ id: UInt64, with result: Result<TransportResponse, TransportError>) -> Bool {
        let settled: (CheckedContinuation<Result<TransportResponse, TransportError>, Never>?, DeadlineTimer.Handle?)? =
            state.withLock { state in
                guard let entry = state.pending[id], entry.result == nil else { return nil }
                if let continuation = entry.continuation {
                    state.pending.removeValue(forKey: id)
                    return (continuation, entry.timer)
                }
                state.pending[id]?.result = result
                state.pending[id]?.timer = nil
                return (nil, entry.timer)
            }
        guard let settled else { return false }
        if let timer = settled.1 { deadlines.cancel(timer) }
        settled.0?.resume(returning: result)
        return true
    }
}
