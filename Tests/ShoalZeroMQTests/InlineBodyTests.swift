import ShoalCore
@testable import ShoalPorts
@testable import ShoalSimulation
import Testing

/// Small bodies travel in their head's message (a small object's PUT and GET): one message
/// each way instead of head, chunk, end, with the same bytes and the same failures as a
/// stream, on both transports.
@Suite(.serialized)
struct InlineBodyTests {
    let channel = Envelope.Channel.echo

    static func bytes(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed }
    }

    /// A body in chunks, as an HTTP body or a tee hands it over.
    static func chunked(_ bytes: [UInt8], size: Int) -> ChunkStream { .bytes(bytes, chunkSize: size) }

    @Test(arguments: TransportKind.allCases)
    func smallBodiesTravelInOneMessageEachWay(kind: TransportKind) async throws {
        let harness = kind.harness()
        let (a, b) = (try harness.make(), try harness.make())
        let sent = Self.bytes(4_096 + 32, seed: 7)
        let reply = Self.bytes(4_096, seed: 99)
        let seen = Recorder<[UInt8]>()
        await b.register(ClosureHandler(respond: { request in
            seen.append((try? await request.body?.collect(upTo: 1 << 20)) ?? [])
            return TransportResponse(head: request.head, body: Self.chunked(reply, size: 1_000), bodyLengthHint: reply.count)
        }), for: channel)
        // The tee hands the body over in pieces; the hint is the Content-Length, without the footer.
        let request = TransportRequest(channel: channel, head: [1, 2, 3], body: Self.chunked(sent, size: 1_500), bodyLengthHint: 4_096)
        let response = try await a.request(request, to: b.localAddress, timeout: .seconds(5))
        #expect(response.head == [1, 2, 3])
        #expect(response.bodyLengthHint == reply.count)
        #expect(try await response.body?.collect(upTo: 1 << 20) == reply)
        #expect(seen.all == [sent])
        let (sender, receiver) = (harness.statistics(a), harness.statistics(b))
        #expect(sender.messagesOut == 1 && receiver.messagesOut == 1)
        #expect(sender.inlineBodies == 1 && receiver.inlineBodies == 1)
        #expect(harness.openStreams(a) == 0 && harness.openStreams(b) == 0)
        await harness.shutdownAll()
    }

    @Test(arguments: TransportKind.allCases)
    func anEmptyBodyIsStillABody(kind: TransportKind) async throws {
        let harness = kind.harness()
        let (a, b) = (try harness.make(), try harness.make())
        await b.register(ClosureHandler(respond: { request in
            guard let body = request.body, let bytes = try? await body.collect(upTo: 10) else {
                return TransportResponse(status: .badRequest)
            }
            return TransportResponse(head: Array("\(bytes.count)".utf8))
        }), for: channel)
        let response = try await a.request(TransportRequest(channel: channel, head: [], body: .empty, bodyLengthHint: 0),
                                           to: b.localAddress, timeout: .seconds(5))
        #expect(response.status == .ok)
        #expect(response.head == Array("0".utf8))
        #expect(harness.statistics(a).inlineBodies == 1)
        await harness.shutdownAll()
    }

    /// A hint that undersells the body (or a body past the limit) costs nothing: what was
    /// read ahead is replayed and the rest streams under flow control as before.
    @Test(arguments: TransportKind.allCases)
    func aBodyLongerThanItsHintStreams(kind: TransportKind) async throws {
        let harness = kind.harness()
        let (a, b) = (try harness.make(), try harness.make())
        let chunkBytes = 4_096
        await b.register(ClosureHandler(respond: { request in
            let total = (try? await PatternBody.verify(request.body ?? .empty, chunkBytes: chunkBytes)) ?? -1
            return TransportResponse(head: Array("\(total)".utf8), body: PatternBody(count: 40, chunkBytes: chunkBytes).stream,
                                     bodyLengthHint: 10)
        }), for: channel)
        let body = PatternBody(count: 40, chunkBytes: chunkBytes)
        let response = try await a.request(TransportRequest(channel: channel, head: [], body: body.stream, bodyLengthHint: 10),
                                           to: b.localAddress, timeout: .seconds(5))
        #expect(response.head == Array("\(40 * chunkBytes)".utf8))
        #expect(try await PatternBody.verify(try #require(response.body), chunkBytes: chunkBytes) == 40 * chunkBytes)
        #expect(harness.statistics(a).inlineBodies == 0 && harness.statistics(b).inlineBodies == 0)
        #expect(await waitUntil { harness.openStreams(a) == 0 && harness.openStreams(b) == 0 })
        await harness.shutdownAll()
    }

    /// A small body whose source fails while it is read ahead fails as a stream would: the
    /// receiver sees the stream aborted, the caller still gets the handler's answer.
    @Test(arguments: TransportKind.allCases)
    func aSmallBodyThatFailsIsAbortedLikeAStream(kind: TransportKind) async throws {
        let harness = kind.harness()
        let (a, b) = (try harness.make(), try harness.make())
        let seen = Recorder<String>()
        await b.register(ClosureHandler(respond: { request in
            seen.append(await readOutcome(request.body, chunkBytes: 100))
            return TransportResponse(status: .conflict)
        }), for: channel)
        let body = PatternBody(count: 5, chunkBytes: 100, failAfter: 2)
        let response = try await a.request(TransportRequest(channel: channel, head: [], body: body.stream, bodyLengthHint: 500),
                                           to: b.localAddress, timeout: .seconds(5))
        #expect(response.status == .conflict)
        #expect(seen.all == ["aborted"])
        #expect(harness.statistics(a).inlineBodies == 0)
        #expect(await waitUntil { harness.openStreams(a) == 0 && harness.openStreams(b) == 0 })
        await harness.shutdownAll()
    }

    /// An inline payload whose head length runs past its end is refused, not trusted.
    @Test func aMalformedInlinePayloadIsRefused() async throws {
        let network = InMemoryNetwork(seed: 3)
        let b = InMemoryTransport.attach(to: network, at: ClusterAddress(host: "127.0.0.1", port: 0))
        let handled = Recorder<Int>()
        await b.register(ClosureHandler(respond: { _ in
            handled.append(1)
            return TransportResponse()
        }), for: channel)
        let envelope = Envelope(kind: .request, channel: channel, correlationID: 1, sequence: Envelope.HeadFlags.inlineBody)
        b.engine.receive(fromClient: [9], envelope: envelope, payload: [0, 0, 0, 200, 1, 2])
        #expect(b.statistics.droppedMalformed == 1)
        #expect(handled.count == 0)
        await b.shutdown()
    }

    // MARK: Reading ahead

    @Test func prefetchGivesASmallBodyWhole() async throws {
        let bytes = Self.bytes(3_000, seed: 1)
        guard case .whole(let whole) = await Self.chunked(bytes, size: 700).prefetch(upTo: 3_000) else {
            Issue.record("a body within the limit was not read whole")
            return
        }
        #expect(whole == bytes)
    }

    @Test func prefetchReplaysALongBodyWithoutLosingAByte() async throws {
        let bytes = Self.bytes(10_000, seed: 2)
        guard case .partial(let stream) = await Self.chunked(bytes, size: 700).prefetch(upTo: 2_000) else {
            Issue.record("a body past the limit came back whole")
            return
        }
        var chunks: [[UInt8]] = []
        for try await chunk in stream { chunks.append(chunk) }
        #expect(chunks.count == 15)
        #expect(Array(chunks.joined()) == bytes)
    }

    @Test func prefetchReplaysThenRethrowsAFailure() async throws {
        let body = PatternBody(count: 10, chunkBytes: 10, failAfter: 3)
        guard case .partial(let stream) = await body.stream.prefetch(upTo: 1_000) else {
            Issue.record("a failing body came back whole")
            return
        }
        var iterator = stream.makeAsyncIterator()
        for index in 0..<3 { #expect(try await iterator.next() == [UInt8](repeating: UInt8(index), count: 10)) }
        await #expect(throws: PatternBody.Boom.self) { _ = try await iterator.next() }
    }
}
