import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Where a load phase's connections go: the host and port of an `http://` URL, and its path.
struct HTTPEndpoint {
    let host: String
    let port: Int
    /// The URL's path without a trailing slash, e.g. `/v1/AUTH_admin/compare`.
    let path: String
    /// The value of the Host header every request carries.
    let authority: String

    init(url: String) throws {
        guard let parsed = URLComponents(string: url), parsed.scheme == "http", let host = parsed.host, !host.isEmpty else {
            throw ValidationError("only http:// endpoints can be driven, not \(url)")
        }
        self.host = host
        port = parsed.port ?? 80
        var path = parsed.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.path = path
        authority = parsed.port.map { "\(host):\($0)" } ?? host
    }
}

/// A load phase driven through SwiftNIO's HTTP/1.1 codec and nothing else: `concurrency`
/// keep-alive connections on one event loop, each sending its next request when the previous
/// answer has ended, as a client with that many requests in flight does.
///
/// The load generator shares the machine's cores with the servers it measures, so its CPU per
/// request is taken from theirs. Through AsyncHTTPClient (a connection pool, a request state
/// machine, a task and an async body sequence per request) it spent about 0.17 ms per 4 KiB
/// GET and 0.26 ms per PUT: at Shoal's GET rate on two cores, a third of the machine. Here a
/// request is a head written from headers built once, the shared body buffer, and a timer.
final class HTTPLoad: @unchecked Sendable {
    struct Request {
        var head: HTTPRequestHead
        var body: ByteBuffer?
    }

    private let loop: EventLoop
    private let endpoint: HTTPEndpoint
    private let count: Int
    private let deadline: NIODeadline?
    private let timeout: TimeAmount
    private let request: (Int) -> Request
    private let accept: (HTTPResponseStatus, Int) -> Bool
    private let done: EventLoopPromise<Void>

    // Touched on `loop` only.
    private var issued = 0
    private var connections = 0
    private var latencies: [Double] = []
    private var failures = 0

    private init(loop: EventLoop, endpoint: HTTPEndpoint, count: Int, deadline: NIODeadline?, timeout: TimeAmount,
                 request: @escaping (Int) -> Request, accept: @escaping (HTTPResponseStatus, Int) -> Bool) {
        self.loop = loop
        self.endpoint = endpoint
        self.count = count
        self.deadline = deadline
        self.timeout = timeout
        self.request = request
        self.accept = accept
        done = loop.makePromise()
        latencies.reserveCapacity(min(count, 1 << 20))
    }

    /// Runs `count` requests (fewer if `deadline` passes first: none starts after it) with
    /// `concurrency` in flight. `request` makes the request of each index; `accept` judges its
    /// answer by status and the number of body bytes received. A request that fails to
    /// connect, loses its connection or outlives `timeout` counts as a failure.
    static func run(_ endpoint: HTTPEndpoint, count: Int, concurrency: Int, deadline: ContinuousClock.Instant? = nil,
                    timeout: TimeAmount = .seconds(120),
                    request: @escaping (Int) -> Request,
                    accept: @escaping (HTTPResponseStatus, Int) -> Bool) async throws -> LoadPhase {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let start = ContinuousClock.now
        let cpuBefore = LoadPhase.processCPUSeconds()
        let nioDeadline = deadline.map { NIODeadline.now() + .nanoseconds(Int64(($0 - start).inSeconds * 1e9)) }
        let load = HTTPLoad(loop: group.next(), endpoint: endpoint, count: count, deadline: nioDeadline, timeout: timeout,
                            request: request, accept: accept)
        load.loop.execute {
            for _ in 0..<min(concurrency, count) { load.connect() }
            load.finishIfIdle()
        }
        try await load.done.futureResult.get()
        let (latencies, failures) = try await load.loop.submit { (load.latencies, load.failures) }.get()
        let phase = LoadPhase(elapsed: (ContinuousClock.now - start).inSeconds, latencies: latencies, failures: failures,
                              clientCPU: LoadPhase.processCPUSeconds() - cpuBefore)
        try await group.shutdownGracefully()
        return phase
    }

    /// The index of the next request, or nil when the phase has issued its last.
    fileprivate func nextIndex() -> Int? {
        guard hasMore else { return nil }
        defer { issued += 1 }
        return issued
    }

    /// Whether the phase has requests left to issue.
    private var hasMore: Bool { issued < count && deadline.map { NIODeadline.now() < $0 } ?? true }

    fileprivate func makeRequest(_ index: Int) -> Request { request(index) }

    fileprivate func record(latency: Double, status: HTTPResponseStatus?, received: Int) {
        latencies.append(latency)
        if !(status.map { accept($0, received) } ?? false) { failures += 1 }
    }

    fileprivate var requestTimeout: TimeAmount { timeout }

    /// Opens one more connection; its handler sends requests until there are none left.
    private func connect() {
        connections += 1
        let load = self
        let began = NIODeadline.now()
        ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(LoadConnection(load: load))
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .whenFailure { _ in
                // The request this connection would have sent fails in its place, so a
                // server that refuses connections ends the phase instead of spinning on it.
                if load.nextIndex() != nil {
                    load.record(latency: Double((NIODeadline.now() - began).nanoseconds) / 1e9, status: nil, received: 0)
                }
                load.connectionClosed()
            }
    }

    /// A connection has closed (or never opened): another takes its place while requests
    /// remain, and the phase ends when the last one is gone.
    fileprivate func connectionClosed() {
        connections -= 1
        if hasMore {
            connect()
        } else {
            finishIfIdle()
        }
    }

    private func finishIfIdle() {
        if connections == 0 { done.succeed(()) }
    }
}

/// One keep-alive connection of an ``HTTPLoad``: sends a request, reads the answer to its end,
/// sends the next.
private final class LoadConnection: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let load: HTTPLoad
    /// When the request in flight was sent; nil between requests.
    private var began: NIODeadline?
    private var status: HTTPResponseStatus?
    private var keepAlive = true
    private var received = 0
    private var timer: Scheduled<Void>?

    init(load: HTTPLoad) { self.load = load }

    func channelActive(context: ChannelHandlerContext) {
        sendNext(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
            keepAlive = head.isKeepAlive
        case .body(let part):
            received += part.readableBytes
        case .end:
            guard let began else { return }
            timer?.cancel()
            load.record(latency: Double((NIODeadline.now() - began).nanoseconds) / 1e9, status: status, received: received)
            self.began = nil
            if keepAlive { sendNext(context) } else { context.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        if let began {
            self.began = nil
            load.record(latency: Double((NIODeadline.now() - began).nanoseconds) / 1e9, status: nil, received: 0)
        }
        load.connectionClosed()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func sendNext(_ context: ChannelHandlerContext) {
        guard let index = load.nextIndex() else {
            context.close(promise: nil)
            return
        }
        let request = load.makeRequest(index)
        status = nil
        received = 0
        began = .now()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: load.requestTimeout) { channel.close(promise: nil) }
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if let body = request.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
