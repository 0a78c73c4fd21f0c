import ShoalCore
import Synchronization

/// Requests a node makes to itself. Every node runs every role, so a proxy often writes
/// one replica to its own object server, reads a local replica, or updates a container
/// database it holds. Such a request does not go over the wire (a TCP connection to
/// itself, CURVE both ways, chunk, end and credit messages): the engine calls the local
/// handler and hands it the caller's body stream as it is, and the caller gets the
/// handler's response body as it is. What the caller sees is the same as over the wire:
/// the response once its head is ready, `.timedOut` past the deadline (counted, with a
/// body, from when the handler has read all of it, and bounded meanwhile by
/// `streamIdleTimeout` between two chunks, as the credit gate bounds a remote stream),
/// `.timedOut` when cancelled, `.closed` after shutdown, and `.remote(.unavailable)` when
/// nothing serves the channel.
extension TransportEngine {
    /// Makes requests to these addresses (the node's own, as bound and as advertised) go
    /// straight to the local handlers.
    public func answerInProcess(at addresses: [ClusterAddress]) {
        inProcessAddresses.withLock { $0.formUnion(addresses) }
    }

    func isInProcess(_ peer: ClusterAddress) -> Bool {
        inProcessAddresses.withLock { $0.contains(peer) }
    }

    func requestInProcess(_ request: TransportRequest, timeout: Duration) async throws(TransportError) -> TransportResponse {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        let endpoint: Endpoint?? = state.withLock { state in
            guard !state.closed else { return .none }
            state.pending[id] = Pending()
            return .some(state.endpoints[request.channel])
        }
        guard case .some(let found) = endpoint else { throw .closed }
        guard let handler = found?.handler else {
            _ = state.withLock { $0.pending.removeValue(forKey: id) }
            throw .remote(status: .unavailable, message: "no handler for \(request.channel)")
        }
        counters.inProcessRequests.bump()
        var local = request
        var watch: BodyWatch?
        if let body = request.body {
            let idle = configuration.streamIdleTimeout
            let bodyWatch = BodyWatch(idle: idle, deadlines: deadlines) { [weak self] in
                self?.complete(id, with: .failure(.streamAborted("no chunk of the body read for \(idle)")))
            }
            local.body = bodyWatch.wrap(body) { [weak self] in self?.startTimer(for: id, timeout: timeout) }
            bodyWatch.start()
            watch = bodyWatch
        } else {
            startTimer(for: id, timeout: timeout)
        }
        let (call, started) = (local, watch)
        Task {
            let response = await handler.respond(to: call)
            started?.stop()
            if !self.complete(id, with: .success(response)) { self.counters.lateResponses.bump() }
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in attach(continuation, to: id) }
        } onCancel: {
            complete(id, with: .failure(.timedOut))
        }
        return try result.get()
    }
}

/// A body handed to a local handler: a watchdog expires the request when a whole `idle`
/// passes with no chunk read, and the body's end (or failure) stops the watchdog and starts
/// the request's own deadline. The watchdog is a deadline on the engine's timer, checked and
/// moved on each time it comes, not a task of its own.
final class BodyWatch: Sendable {
    private let idle: Duration
    private let deadlines: DeadlineTimer
    private let expire: @Sendable () -> Void
    private struct Progress {
        var reads = 0
        var ended = false
        var watchdog: DeadlineTimer.Handle?
    }

    private let progress = Mutex(Progress())

    init(idle: Duration, deadlines: DeadlineTimer, expire: @escaping @Sendable () -> Void) {
        self.idle = idle
        self.deadlines = deadlines
        self.expire = expire
    }

    /// `ended` runs once, when the handler has read the last chunk or the body failed.
    func wrap(_ body: ChunkStream, ended: @escaping @Sendable () -> Void) -> ChunkStream {
        ChunkStream { [self] in
            // The iterator only forwards to the stream's source, so a fresh one per pull
            // continues where the last one stopped.
            var iterator = body.makeAsyncIterator()
            let chunk: [UInt8]?
            do {
                chunk = try await iterator.next()
            } catch {
                finish(ended)
                throw error
            }
            if chunk == nil { finish(ended) } else { progress.withLock { $0.reads += 1 } }
            return chunk
        }
    }

    /// The handler answered: no more watching, whatever it read.
    func stop() {
        let watchdog = progress.withLock { progress in
            progress.ended = true
            defer { progress.watchdog = nil }
            return progress.watchdog
        }
        if let watchdog { deadlines.cancel(watchdog) }
    }

    private func finish(_ ended: @Sendable () -> Void) {
        let watchdog: DeadlineTimer.Handle?? = progress.withLock { progress in
            guard !progress.ended else { return .none }
            progress.ended = true
            defer { progress.watchdog = nil }
            return .some(progress.watchdog)
        }
        guard case .some(let running) = watchdog else { return }
        if let running { deadlines.cancel(running) }
        ended()
    }

    /// Starts the watchdog (once the request is registered).
    func start() {
        watch(since: -1)
    }

    /// Expires the request when no chunk was read since the last look (`seen` reads), and
    /// otherwise looks again one `idle` later.
    private func watch(since seen: Int) {
        let reads: Int? = progress.withLock { $0.ended ? nil : $0.reads }
        guard let reads else { return }
        if reads == seen { return expire() }
        deadlines.schedule(after: idle, keptBy: { watchdog in
            progress.withLock { progress in
                guard !progress.ended else { return false }
                progress.watchdog = watchdog
                return true
            }
        }) { [weak self] in self?.watch(since: reads) }
    }
}
