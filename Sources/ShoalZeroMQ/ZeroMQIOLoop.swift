import CZeroMQ
import Foundation
import ShoalCore
import ShoalPorts
import Synchronization

/// The one thread of a ``ZeroMQTransport`` that touches its sockets.
///
/// It waits in `zmq_poll` on the ROUTER, the bulk lane's ROUTER, every DEALER, the ZAP
/// socket and the outbound queue's eventfd; sends what tasks queued, hands what arrives to the
/// ``TransportEngine``, keeps per-peer backlogs for peers not yet (or no longer)
/// connected, and answers ZAP requests. Nothing in here blocks the Swift concurrency pool.
///
/// `@unchecked Sendable`: the socket fields are confined to the I/O thread (they are
/// created in `init` and handed over when the thread starts, a full memory barrier);
/// everything other threads touch — the queue, `downPeers`, the engine slot, the exit
/// waiters — is behind a `Mutex` or atomic.
final class ZeroMQIOLoop: @unchecked Sendable {
    struct Options: Sendable {
        var highWaterMark: Int32
        var maxMessageBytes: Int64
        var connectTimeout: Duration
        var curve: CurveKeys?
    }

    /// One DEALER and the messages waiting for it to become writable.
    final class PeerLink {
        let address: ClusterAddress
        let socket: UnsafeMutableRawPointer
        var backlog: [OutboundMessage] = []
        var backlogHead = 0
        var deadline: ContinuousClock.Instant?
        var isDown = false
        /// Its backlog is half full: best-effort sends to it are refused until it drains.
        var isCongested = false

        init(address: ClusterAddress, socket: UnsafeMutableRawPointer) {
            self.address = address
            self.socket = socket
        }

        var hasBacklog: Bool { backlogHead < backlog.count }
        var wantsWritable: Bool { isDown || hasBacklog }
    }

    // Shared with other threads.
    let queue: OutboundQueue
    let counters: TransportCounters
    let downPeers = Mutex<Set<ClusterAddress>>([])
    let congestedPeers = Mutex<Set<ClusterAddress>>([])
    /// The port of each peer's bulk lane, as the peer told the engine.
    let bulkPorts = Mutex<[ClusterAddress: UInt16]>([:])
    private let engineSlot = Mutex<TransportEngine?>(nil)
    private let exit = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    // I/O thread only (after `start`).
    let options: Options
    let context: UnsafeMutableRawPointer
    let router: UnsafeMutableRawPointer
    let zap: UnsafeMutableRawPointer?
    /// This node's bulk lane: a ROUTER without CURVE that only receives sealed body chunks.
    let bulkRouter: UnsafeMutableRawPointer?
    var links: [ClusterAddress: PeerLink] = [:]
    var routerBacklog: [OutboundMessage] = []
    var routerDeadline: ContinuousClock.Instant?
    let message: UnsafeMutablePointer<zmq_msg_t>
    private(set) var engine: TransportEngine?

    init(
        context: UnsafeMutableRawPointer, router: UnsafeMutableRawPointer, zap: UnsafeMutableRawPointer?,
        bulkRouter: UnsafeMutableRawPointer?, queue: OutboundQueue, counters: TransportCounters, options: Options
    ) {
        self.context = context
        self.router = router
        self.zap = zap
        self.bulkRouter = bulkRouter
        self.queue = queue
        self.counters = counters
        self.options = options
        message = .allocate(capacity: 1)
    }

    deinit { message.deallocate() }

    /// Starts the thread; `engine` receives everything that arrives.
    func start(engine: TransportEngine, name: String) {
        engineSlot.withLock { $0 = engine }
        let thread = Thread { [self] in
            ThreadName.setCurrent("shoal-zmq")  // the whole name (with the address) is too long for the OS
            self.engine = engineSlot.withLock { slot in
                defer { slot = nil }
                return slot
            }
            run()
            teardown()
            let waiters = exit.withLock { state in
                state.done = true
                defer { state.waiters.removeAll() }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
        thread.name = name
        thread.start()
    }

    /// Waits until the thread has closed every socket and terminated the context.
    func waitForExit() async {
        await withCheckedContinuation { continuation in
            let done = exit.withLock { state in
                if !state.done { state.waiters.append(continuation) }
                return state.done
            }
            if done { continuation.resume() }
        }
    }

    // MARK: The loop

    private func run() {
        var items: [zmq_pollitem_t] = []
        var polled: [PeerLink] = []
        var batch: [OutboundMessage] = []
        let pollIn = Int16(ZMQ_POLLIN), pollOut = Int16(ZMQ_POLLOUT)
        while true {
            items.removeAll(keepingCapacity: true)
            polled.removeAll(keepingCapacity: true)
            items.append(zmq_pollitem_t(socket: nil, fd: queue.eventFD, events: pollIn, revents: 0))
            items.append(zmq_pollitem_t(socket: router, fd: 0, events: pollIn, revents: 0))
            let zapIndex = items.count
            if let zap { items.append(zmq_pollitem_t(socket: zap, fd: 0, events: pollIn, revents: 0)) }
            let bulkIndex = items.count
            if let bulkRouter { items.append(zmq_pollitem_t(socket: bulkRouter, fd: 0, events: pollIn, revents: 0)) }
            let firstLink = items.count
            for link in links.values {
                let events = link.wantsWritable ? pollIn | pollOut : pollIn
                items.append(zmq_pollitem_t(socket: link.socket, fd: 0, events: events, revents: 0))
                polled.append(link)
            }
            let rc = zmq_poll(&items, Int32(items.count), pollTimeoutMilliseconds())
            if rc < 0 {
                let error = zmq_errno()
                if error == EINTR { continue }
                return
            }
            if items[0].revents & pollIn != 0 { queue.acknowledgeWake() }
            queue.drain(into: &batch)
            for message in batch { dispatch(message) }
            batch.removeAll(keepingCapacity: true)
            if queue.isClosed { return }
            if let zap, items[zapIndex].revents & pollIn != 0 { serveZAP(zap) }
            if items[1].revents & pollIn != 0 { receiveFromRouter() }
            if let bulkRouter, items[bulkIndex].revents & pollIn != 0 { receiveFromBulkLane(bulkRouter) }
            for (index, link) in polled.enumerated() {
                let revents = items[firstLink + index].revents
                if revents & pollIn != 0 { receive(from: link) }
                if revents & pollOut != 0 { flush(link) }
            }
            expireBacklogs()
        }
    }

    private func pollTimeoutMilliseconds() -> Int {
        var nearest: ContinuousClock.Instant? = routerBacklog.isEmpty ? nil : .now + .milliseconds(1)
        for link in links.values where link.hasBacklog {
            if let deadline = link.deadline, nearest.map({ deadline < $0 }) ?? true { nearest = deadline }
        }
        guard let nearest else { return -1 }
        let remaining = nearest - .now
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000) + 1
    }

    private func teardown() {
        for link in links.values { zmq_close(link.socket) }
        links.removeAll()
        zmq_close(router)
        if let zap { zmq_close(zap) }
        if let bulkRouter { zmq_close(bulkRouter) }
        zmq_ctx_term(context)
        engine = nil
    }
}
