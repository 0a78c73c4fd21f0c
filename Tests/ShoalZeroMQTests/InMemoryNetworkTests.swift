import ShoalCore
import ShoalPorts
import Testing
@testable import ShoalSimulation

/// The fault knobs of the in-memory network that service tests lean on.
struct InMemoryNetworkTests {
    let channel = Envelope.Channel.membership

    func pair(_ network: InMemoryNetwork) -> (InMemoryTransport, InMemoryTransport) {
        let any = ClusterAddress(host: "node", port: 0)
        return (InMemoryTransport.attach(to: network, at: any), InMemoryTransport.attach(to: network, at: any))
    }

    @Test func downNodesAreUnreachableUntilUp() async throws {
        let network = InMemoryNetwork(seed: 7)
        let (a, b) = pair(network)
        await b.register(ClosureHandler(), for: channel)
        network.takeDown(b.localAddress)
        #expect(await a.send([1], on: channel, to: b.localAddress) == false)
        await #expect(throws: TransportError.unreachable(b.localAddress)) {
            try await a.request(TransportRequest(channel: channel, head: []), to: b.localAddress, timeout: .seconds(1))
        }
        network.bringUp(b.localAddress)
        let response = try await a.request(TransportRequest(channel: channel, head: [4]), to: b.localAddress, timeout: .seconds(1))
        #expect(response.head == [4])
    }

    @Test func partitionsSplitAndHeal() async throws {
        let network = InMemoryNetwork(seed: 7)
        let (a, b) = pair(network)
        let c = InMemoryTransport.attach(to: network, at: ClusterAddress(host: "node", port: 0))
        for node in [a, b, c] { await node.register(ClosureHandler(), for: channel) }
        network.partition([[a.localAddress, b.localAddress], [c.localAddress]])
        #expect(await a.send([1], on: channel, to: b.localAddress))
        #expect(await a.send([1], on: channel, to: c.localAddress) == false)
        #expect(network.isReachable(from: c.localAddress, to: b.localAddress) == false)
        network.heal()
        #expect(await a.send([1], on: channel, to: c.localAddress))
    }

    @Test func lossIsSeededAndReplays() async throws {
        func run(seed: UInt64) async -> [Int] {
            let network = InMemoryNetwork(seed: seed)
            let (a, b) = pair(network)
            let received = Recorder<Int>()
            await b.register(ClosureHandler(oneway: { payload, _ in received.append(Int(payload[0]) << 8 | Int(payload[1])) }), for: channel)
            network.setDropProbability(0.3)
            for index in 0..<1000 { await a.send([UInt8(index >> 8), UInt8(index & 0xFF)], on: channel, to: b.localAddress) }
            network.setDropProbability(0)
            await a.send([0xFF, 0xFF], on: channel, to: b.localAddress)
            _ = await waitUntil { received.all.last == 0xFFFF }
            return received.all.dropLast()
        }
        let first = await run(seed: 42)
        let again = await run(seed: 42)
        let other = await run(seed: 43)
        #expect(first == again)
        #expect(first != other)
        #expect((600...800).contains(first.count))
        #expect(first == first.sorted())
    }

    @Test func timeoutsRunOnTheInjectedClock() async throws {
        let clock = ManualClock()
        let network = InMemoryNetwork(seed: 1, clock: clock)
        let (a, b) = pair(network)
        await b.register(ClosureHandler(), for: channel)
        network.setDropProbability(1)
        let peer = b.localAddress
        let call = Task { () async throws(TransportError) -> TransportResponse in
            try await a.request(TransportRequest(channel: .membership, head: []), to: peer, timeout: .seconds(30))
        }
        // The request's timer must be asleep on the manual clock before time moves; if it
        // never gets there, give up without advancing (advancing first would hang the call).
        guard await waitUntil(timeout: .seconds(60), { clock.sleeperCount == 1 }) else {
            call.cancel()
            Issue.record("the request's timeout never slept on the injected clock")
            return
        }
        clock.advance(by: .seconds(29))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        await #expect(throws: TransportError.timedOut) { try await call.value }
    }
}
