import ShoalCore
import ShoalPorts
@testable import ShoalSimulation
import Synchronization
import Testing
@testable import ShoalZeroMQ

/// Waits for `condition` to hold, polling, but never longer than `timeout`. Returns whether
/// it held. Tests use it instead of sleeping for a fixed time.
func waitUntil(timeout: Duration = .seconds(10), _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return await condition()
}

/// Runs `body` and returns how long it took.
func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
    let start = ContinuousClock.now
    let value = try await body()
    return (value, ContinuousClock.now - start)
}

/// A handler made of closures, so each test states its behaviour inline.
struct ClosureHandler: TransportHandler {
    var oneway: @Sendable ([UInt8], Envelope.Channel) async -> Void = { _, _ in }
    var respond: @Sendable (TransportRequest) async -> TransportResponse = { TransportResponse(head: $0.head) }

    func receive(oneway payload: [UInt8], on channel: Envelope.Channel) async { await oneway(payload, channel) }
    func respond(to request: TransportRequest) async -> TransportResponse { await respond(request) }
}

/// A thread-safe list tests append to from handlers and read from the test.
final class Recorder<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])
    func append(_ item: Element) { items.withLock { $0.append(item) } }
    var all: [Element] { items.withLock { $0 } }
    var count: Int { items.withLock { $0.count } }
}

/// A latch handlers wait on until the test opens it (stands in for a stuck handler).
final class Latch: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    func wait() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }
    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// A body of `count` chunks of `chunkBytes`, chunk i filled with `i % 251`, optionally
/// failing after `failAfter` chunks or hanging there. Counts how many chunks were pulled.
final class PatternBody: Sendable {
    let count: Int
    let chunkBytes: Int
    let failAfter: Int?
    let hangAfter: Int?
    let pulled = Atomic<Int>(0)
    private let latch = Latch()

    init(count: Int, chunkBytes: Int, failAfter: Int? = nil, hangAfter: Int? = nil) {
        self.count = count
        self.chunkBytes = chunkBytes
        self.failAfter = failAfter
        self.hangAfter = hangAfter
    }

    struct Boom: Error {}

    var stream: ChunkStream {
        ChunkStream { [self] in
            let index = pulled.wrappingAdd(1, ordering: .relaxed).oldValue
            if let failAfter, index >= failAfter { throw Boom() }
            if let hangAfter, index >= hangAfter { await latch.wait() }
            guard index < count else { return nil }
            return [UInt8](repeating: UInt8(index % 251), count: chunkBytes)
        }
    }

    func release() { latch.open() }

    /// Checks a received body chunk by chunk; returns the number of bytes, or nil if wrong.
    static func verify(_ body: ChunkStream, chunkBytes: Int, delayEvery: Duration? = nil) async throws -> Int {
        var index = 0
        var total = 0
        for try await chunk in body {
            guard chunk.count == chunkBytes, chunk.first == UInt8(index % 251), chunk.last == UInt8(index % 251) else {
                throw Mismatch(index: index)
            }
            total += chunk.count
            index += 1
            if let delayEvery { try await Task.sleep(for: delayEvery) }
        }
        return total
    }

    struct Mismatch: Error { let index: Int }
}

/// How reading a pattern body ended: "completed", "aborted" (the stream was aborted by the
/// other side), or the error.
func readOutcome(_ body: ChunkStream?, chunkBytes: Int) async -> String {
    do {
        _ = try await PatternBody.verify(body ?? .empty, chunkBytes: chunkBytes)
        return "completed"
    } catch let error as TransportError {
        if case .streamAborted = error { return "aborted" }
        return "\(error)"
    } catch {
        return "\(error)"
    }
}

/// Builds transports of one kind for the shared behavioural suite.
enum TransportKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case zeroMQ, inMemory
    var testDescription: String { rawValue }

    static let secret = ClusterSecret(phrase: "shoal test cluster secret")

    /// A harness holding the network (for in-memory) and everything it made, for cleanup.
    func harness(idleTimeout: Duration = .seconds(5)) -> Harness { Harness(kind: self, idleTimeout: idleTimeout) }
}

final class Harness: Sendable {
    let kind: TransportKind
    let network = InMemoryNetwork(seed: 1)
    let idleTimeout: Duration
    private let made = Mutex<[any ClusterTransport]>([])

    init(kind: TransportKind, idleTimeout: Duration) {
        self.kind = kind
        self.idleTimeout = idleTimeout
    }

    var engineConfiguration: TransportEngine.Configuration {
        var configuration = TransportEngine.Configuration()
        configuration.streamIdleTimeout = idleTimeout
        return configuration
    }

    func make() throws -> any ClusterTransport {
        let transport: any ClusterTransport
        switch kind {
        case .zeroMQ:
            var configuration = ZeroMQTransport.Configuration()
            configuration.connectTimeout = .milliseconds(500)
            configuration.engine = engineConfiguration
            transport = try ZeroMQTransport(
                bind: ClusterAddress(host: "127.0.0.1", port: 0), clusterSecret: TransportKind.secret,
                configuration: configuration
            )
        case .inMemory:
            transport = InMemoryTransport.attach(
                to: network, at: ClusterAddress(host: "127.0.0.1", port: 0), configuration: engineConfiguration
            )
        }
        made.withLock { $0.append(transport) }
        return transport
    }

    /// An address nobody listens at.
    var deadAddress: ClusterAddress { ClusterAddress(host: "127.0.0.1", port: 1) }

    func statistics(_ transport: any ClusterTransport) -> TransportStatistics {
        switch transport {
        case let zmq as ZeroMQTransport: zmq.statistics
        case let memory as InMemoryTransport: memory.statistics
        default: TransportStatistics()
        }
    }

    func openStreams(_ transport: any ClusterTransport) -> Int {
        switch transport {
        case let zmq as ZeroMQTransport: zmq.engine.openStreamCount
        case let memory as InMemoryTransport: memory.engine.openStreamCount
        default: 0
        }
    }

    func shutdownAll() async {
        for transport in made.withLock({ $0 }) { await transport.shutdown() }
    }
}

/// Runs `body` and keeps its outcome, so a test can time a call that is expected to throw.
func capture<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}
