import ShoalCore
import ShoalPorts
import Synchronization
import Testing

/// The behaviour every ``ClusterTransport`` must have, run against ZeroMQ and the
/// in-memory twin alike.
@Suite(.serialized)
struct TransportConformanceTests {
    let channel = Envelope.Channel.echo

    @Test(arguments: TransportKind.allCases)
    func onewayArrivesInOrder(kind: TransportKind) async throws {
        let harness = kind.harness()
        let (a, b) = (try harness.make(), try harness.make())
        let received = Recorder<[UInt8]>()
        await b.register(ClosureHandler(oneway: { payload, _ in received.append(payload) }), for: channel)
        var sent = 0
        for index in 0..<500 {
            if await a.send(Array("m\(index)".utf8), on: channel, to: b.localAddress) { sent += 1 }
        }
        #expect(sent == 500)
        #expect(await waitUntil { received.count == 500 })
        #expect(received.all == (0..<500).map { Array("m\($0)".utf8) })
        await harness.shutdownAll()
    }

    @Test(arguments: TransportKind.allCases)
    func requestGetsItsResponse(kind: TransportKind) async throws {
        let harness = kind.harness()
        let (a, b) = (try harness.make(), try harness.make())
        await b.register(ClosureHandler(respond: { request in
            TransportResponse(status: .conflict, head: request.head.reversed())
        }), for: channel)
        let response = try await a.request(TransportRequest(channel: channel, head: [1, 2, 3]), to: b.localAddress, timeout: .seconds(5))
        #expect(response.status == .conflict)
        #expect(response.head == [3, 2, 1])
        #expect(response.body == nil)
        await harness.shutdownAll()
    }

    @Test(arguments: TransportKind.allCases)
    func manyConcurrentRequests(kind: TransportKind) async throws {
        let harness = kind.harness()
        let (a, b) = (try harness.make(), try harness.make())
        await b.register(ClosureHandler(respond: { request in
            await Task.yield()
            return TransportResponse(head: request.head + request.head)
        }), for: channel)
        let peer = b.localAddress
        let matched = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<400 {
                group.addTask {
                    let head = Array("request \(index)".utf8)
                    let response = try await a.request(TransportRequest(channel: self.channel, head: head), to: peer, timeout: .seconds(10))
                    return response.head == head + head
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(matched == 400)
        await harness.shutdownAll()
    }

    @Test(arguments: TransportKind.allCases)
    func noHandlerIsARemoteError(kind: TransportKind) async throws {
        let harness = kind.harness()
        let (a, b) = (try harness.make(), try harness.make())
        await #expect(throws: TransportError.remote(status: .unavailable, message: "no handler for control")) {
            try await a.request(TransportRequest(channel: .control, head: []), to: b.localAddress, timeout: .seconds(5))
        }
        await harness.shutdownAll()
    }

    @Test(arguments: TransportKind.allCases)
    func stuckPeerTimesOut(kind: TransportKind) async throws {
        let harness = kind.harness()
        let (a, b) = (try harness.make(), try harness.make())
        let latch = Latch()
        await b.register(ClosureHandler(respond: { _ in
            await latch.wait()
            return TransportResponse()
        }), for: channel)
        let (outcome, elapsed) = await timed {
            await capture {
                try await a.request(TransportRequest(channel: channel, head: [1]), to: b.localAddress, timeout: .milliseconds(300))
            }
        }
        #expect(throws: TransportError.timedOut) { try outcome.get() }
        #expect(elapsed >= .milliseconds(290) && elapsed < .seconds(5))
        latch.open()
        // The late response is counted, not delivered anywhere.
        #expect(await waitUntil { harness.statistics(a).lateResponses == 1 })
        await harness.shutdownAll()
    }

    /// A node's request to itself (a proxy writing to its own object server) is answered
    /// by the local handler without the wire, bodies handed over as they are.
    @Test(arguments: TransportKind.allCases)
    func aRequestToItselfSkipsTheWire(kind: TransportKind) async throws {
        let harness = kind.harness()
        let a = try harness.make()
        let chunkBytes = 4_096
        await a.register(ClosureHandler(respond: { request in
            do {
                let total = try await PatternBody.verify(request.body ?? .empty, chunkBytes: chunkBytes)
                let reply = PatternBody(count: 3, chunkBytes: chunkBytes)
                return TransportResponse(status: .conflict, head: Array("\(total)".utf8), body: reply.stream)
            } catch {
                return TransportResponse(status: .badRequest, head: Array("\(error)".utf8))
            }
        }), for: channel)
        let body = PatternBody(count: 50, chunkBytes: chunkBytes)
        let response = try await a.request(TransportRequest(channel: channel, head: [], body: body.stream),
                                           to: a.localAddress, timeout: .seconds(5))
        #expect(response.status == .conflict)
        #expect(String(decoding: response.head, as: UTF8.self) == "\(50 * chunkBytes)")
        #expect(try await PatternBody.verify(try #require(response.body), chunkBytes: chunkBytes) == 3 * chunkBytes)
        let statistics = harness.statistics(a)
        #expect(statistics.inProcessRequests == 1)
        #expect(statistics.messagesOut == 0 && statistics.messagesIn == 0)
        await #expect(throws: TransportError.remote(status: .unavailable, message: "no handler for control")) {
            try await a.request(TransportRequest(channel: .control, head: []), to: a.localAddress, timeout: .seconds(5))
        }
        await harness.shutdownAll()
    }

    /// Deadlines hold in process as over the wire: counted from the end of the body (a slow
    /// reader of a long body is not cut off), a stuck handler times out, and a handler that
    /// stops reading the body is given up on after the idle timeout.
    @Test(arguments: TransportKind.allCases)
    func aRequestToItselfKeepsTheDeadlines(kind: TransportKind) async throws {
        let harness = kind.harness(idleTimeout: .milliseconds(300))
        let a = try harness.make()
        let latch = Latch()
        await a.register(ClosureHandler(respond: { request in
            if request.head == [1] {
                let total = (try? await PatternBody.verify(request.body ?? .empty, chunkBytes: 100, delayEvery: .milliseconds(20))) ?? -1
                return TransportResponse(head: Array("\(total)".utf8))
            }
            await latch.wait()
            return TransportResponse()
        }), for: channel)
        let slow = try await a.request(TransportRequest(channel: channel, head: [1], body: PatternBody(count: 30, chunkBytes: 100).stream),
                                       to: a.localAddress, timeout: .milliseconds(200))
        #expect(String(decoding: slow.head, as: UTF8.self) == "3000")

        let (stuck, stuckElapsed) = await timed {
            await capture { try await a.request(TransportRequest(channel: channel, head: [2]), to: a.localAddress, timeout: .milliseconds(300)) }
        }
        #expect(throws: TransportError.timedOut) { try stuck.get() }
        #expect(stuckElapsed >= .milliseconds(290) && stuckElapsed < .seconds(5))

        let (unread, unreadElapsed) = await timed {
            await capture {
                try await a.request(TransportRequest(channel: channel, head: [3], body: PatternBody(count: 10, chunkBytes: 100).stream),
                                    to: a.localAddress, timeout: .seconds(60))
            }
        }
        #expect(throws: TransportError.self) { try unread.get() }
        #expect(unreadElapsed < .seconds(5))
        latch.open()
        #expect(await waitUntil { harness.statistics(a).lateResponses == 2 })
        await harness.shutdownAll()
    }

    @Test(arguments: TransportKind.allCases)
    func unreachablePeerFailsFast(kind: TransportKind) async throws {
        let harness = kind.harness()
        let a = try harness.make()
        let (outcome, elapsed) = await timed {
            await capture {
                try await a.request(TransportRequest(channel: channel, head: [1]), to: harness.deadAddress, timeout: .seconds(20))
            }
        }
        #expect(throws: TransportError.unreachable(harness.deadAddress)) { try outcome.get() }
        #expect(elapsed < .seconds(5))
        // Once known down, best-effort sends say so at once.
        #expect(await a.send([1], on: channel, to: harness.deadAddress) == false)
        await harness.shutdownAll()
    }

    @Test(arguments: TransportKind.allCases)
    func requestBodyStreamsWithinTheWindow(kind: TransportKind) async throws {
        let harness = kind.harness()
        let (a, b) = (try harness.make(), try harness.make())
        let chunkBytes = 64 << 10
        await b.register(ClosureHandler(respond: { request in
            do {
                let total = try await PatternBody.verify(request.body ?? .empty, chunkBytes: chunkBytes, delayEvery: .microseconds(200))
                return TransportResponse(head: Array("\(total)".utf8))
            } catch {
                return TransportResponse(status: .badRequest, head: Array("\(error)".utf8))
            }
        }), for: channel)
        let body = PatternBody(count: 300, chunkBytes: chunkBytes)
        let response = try await a.request(
            TransportRequest(channel: channel, head: [], body: body.stream), to: b.localAddress, timeout: .seconds(30)
        )
        #expect(response.status == .ok)
        #expect(String(decoding: response.head, as: UTF8.self) == "\(300 * chunkBytes)")
        let buffered = harness.statistics(b).maxBufferedChunks
        #expect(buffered >= 1 && buffered <= 8)
        #expect(await waitUntil { harness.openStreams(a) == 0 && harness.openStreams(b) == 0 })
        await harness.shutdownAll()
    }

    @Test(arguments: TransportKind.allCases)
    func responseBodyStreamsWithinTheWindow(kind: TransportKind) async throws {
        let harness = kind.harness()
        let (a, b) = (try harness.make(), try harness.make())
        let chunkBytes = 64 << 10
        let body = PatternBody(count: 300, chunkBytes: chunkBytes)
        await b.register(ClosureHandler(respond: { _ in TransportResponse(head: [7], body: body.stream) }), for: channel)
        let response = try await a.request(TransportRequest(channel: channel, head: []), to: b.localAddress, timeout: .seconds(5))
        #expect(response.head == [7])
        let total = try await PatternBody.verify(try #require(response.body), chunkBytes: chunkBytes, delayEvery: .microseconds(200))
        #expect(total == 300 * chunkBytes)
        let buffered = harness.statistics(a).maxBufferedChunks
        #expect(buffered >= 1 && buffered <= 8)
        #expect(await waitUntil { harness.openStreams(a) == 0 && harness.openStreams(b) == 0 })
        await harness.shutdownAll()
    }

    @Test(arguments: TransportKind.allCases)
    func senderAbortReachesTheReceiver(kind: TransportKind) async throws {
        let harness = kind.harness()
        let (a, b) = (try harness.make(), try harness.make())
        let seen = Recorder<String>()
        await b.register(ClosureHandler(respond: { request in
            seen.append(await readOutcome(request.body, chunkBytes: 1000))
            return TransportResponse()
        }), for: channel)
        let body = PatternBody(count: 100, chunkBytes: 1000, failAfter: 20)
        _ = try await a.request(TransportRequest(channel: channel, head: [], body: body.stream), to: b.localAddress, timeout: .seconds(5))
        #expect(seen.all == ["aborted"])

        // And the other way: a response body whose source fails.
        let failing = PatternBody(count: 100, chunkBytes: 1000, failAfter: 30)
        await b.register(ClosureHandler(respond: { _ in TransportResponse(body: failing.stream) }), for: channel)
        let response = try await a.request(TransportRequest(channel: channel, head: []), to: b.localAddress, timeout: .seconds(5))
        await #expect {
            _ = try await PatternBody.verify(try #require(response.body), chunkBytes: 1000)
        } throws: { error in
            if case .streamAborted = error as? TransportError { true } else { false }
        }
        #expect(await waitUntil { harness.openStreams(a) == 0 && harness.openStreams(b) == 0 })
        await harness.shutdownAll()
    }

    @Test(arguments: TransportKind.allCases)
    func receiverAbandoningStopsTheSender(kind: TransportKind) async throws {
        let harness = kind.harness()
        let (a, b) = (try harness.make(), try harness.make())
        let body = PatternBody(count: 1_000_000, chunkBytes: 1000)
        await b.register(ClosureHandler(respond: { _ in TransportResponse(body: body.stream) }), for: channel)
        do {
            let response = try await a.request(TransportRequest(channel: channel, head: []), to: b.localAddress, timeout: .seconds(5))
            var iterator = try #require(response.body).makeAsyncIterator()
            for _ in 0..<10 { _ = try await iterator.next() }
        }
        // The response (and its stream) went out of scope: the server must stop pulling.
        #expect(await waitUntil { harness.openStreams(a) == 0 && harness.openStreams(b) == 0 })
        let pulledThen = body.pulled.load(ordering: .relaxed)
        #expect(pulledThen < 100)
        await harness.shutdownAll()
    }

    @Test(arguments: TransportKind.allCases)
    func idleStreamTimesOut(kind: TransportKind) async throws {
        let harness = kind.harness(idleTimeout: .milliseconds(300))
        let (a, b) = (try harness.make(), try harness.make())
        let body = PatternBody(count: 100, chunkBytes: 1000, hangAfter: 5)
        await b.register(ClosureHandler(respond: { _ in TransportResponse(body: body.stream) }), for: channel)
        let response = try await a.request(TransportRequest(channel: channel, head: []), to: b.localAddress, timeout: .seconds(5))
        let (outcome, elapsed) = await timed {
            await capture { try await PatternBody.verify(try #require(response.body), chunkBytes: 1000) }
        }
        #expect(throws: TransportError.self) { try outcome.get() }
        #expect(elapsed < .seconds(5))
        body.release()
        #expect(await waitUntil { harness.openStreams(a) == 0 && harness.openStreams(b) == 0 })
        await harness.shutdownAll()
    }

    @Test(arguments: TransportKind.allCases)
    func shutdownFailsOutstandingRequestsAndDoesNotHang(kind: TransportKind) async throws {
        let harness = kind.harness()
        let (a, b) = (try harness.make(), try harness.make())
        let latch = Latch()
        await b.register(ClosureHandler(respond: { _ in
            await latch.wait()
            return TransportResponse()
        }), for: channel)
        let peer = b.localAddress
        let outstanding = Task { () async throws(TransportError) -> TransportResponse in
            try await a.request(TransportRequest(channel: .echo, head: []), to: peer, timeout: .seconds(60))
        }
        // Let the request reach the stuck handler before shutting down.
        #expect(await waitUntil { harness.statistics(b).messagesIn >= 1 })
        let (_, elapsed) = await timed { await a.shutdown() }
        #expect(elapsed < .seconds(5))
        await #expect(throws: TransportError.closed) { try await outstanding.value }
        #expect(await a.send([1], on: .echo, to: peer) == false)
        await #expect(throws: TransportError.closed) {
            try await a.request(TransportRequest(channel: .echo, head: []), to: peer, timeout: .seconds(1))
        }
        latch.open()
        await harness.shutdownAll()
    }
}
