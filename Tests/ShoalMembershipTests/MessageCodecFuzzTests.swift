import Foundation
import Testing
import ShoalCore
@testable import ShoalMembership

@Suite("SWIM message codec")
struct MessageCodecFuzzTests {
    /// The seed: `SHOAL_SEED` when set, otherwise a fixed one. Printed so a failure replays.
    static let seed: UInt64 = ProcessInfo.processInfo.environment["SHOAL_SEED"].flatMap { UInt64($0) } ?? 0x5117_C0DE

    @Test func everyMessageKindRoundTrips() throws {
        var random = SeededRandom(seed: 1)
        for _ in 0..<200 {
            let message = Self.randomMessage(&random)
            #expect(try SWIM.Message(wireBytes: message.wireBytes()) == message)
        }
    }

    @Test func rejectsUnknownVersion() {
        var bytes = Fixture.message(from: 1, .ping(sequence: 1, target: Fixture.id(2))).wireBytes()
        bytes[0] = 2
        #expect(throws: WireError.unsupportedVersion(2)) { try SWIM.Message(wireBytes: bytes) }
    }

    @Test func fuzzRandomAndMutatedFramesNeverCrash() {
        print("MessageCodecFuzzTests seed: \(Self.seed) (replay with SHOAL_SEED=\(Self.seed))")
        var random = SeededRandom(seed: Self.seed)
        var decoded = 0
        for round in 0..<100_000 {
            let message = Self.randomMessage(&random)
            let bytes = message.wireBytes()
            if round % 10 == 0 {
                guard (try? SWIM.Message(wireBytes: bytes)) == message else {
                    Issue.record("round trip failed at round \(round), SHOAL_SEED=\(Self.seed)")
                    return
                }
            }
            let frame: [UInt8] = round % 4 == 0 ? Self.randomBytes(&random, count: Int(random.next() % 200)) : Self.mutate(bytes, &random)
            if let value = try? SWIM.Message(wireBytes: frame) {
                decoded += 1
                // Whatever decodes must re-encode to something that decodes to itself.
                guard (try? SWIM.Message(wireBytes: value.wireBytes())) == value else {
                    Issue.record("unstable decode at round \(round), SHOAL_SEED=\(Self.seed)")
                    return
                }
            }
        }
        #expect(decoded > 0, "some mutated frames should still decode (seed \(Self.seed))")
    }

    // MARK: Generators

    static func randomBytes(_ random: inout SeededRandom, count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }

    static func mutate(_ bytes: [UInt8], _ random: inout SeededRandom) -> [UInt8] {
        var frame = bytes
        for _ in 0..<(1 + Int(random.next() % 4)) {
            guard !frame.isEmpty else { break }
            let index = Int(random.next() % UInt64(frame.count))
            switch random.next() % 5 {
            case 0: frame[index] ^= UInt8(1) << UInt8(random.next() % 8)
            case 1: frame[index] = UInt8(truncatingIfNeeded: random.next())
            case 2: frame.removeSubrange(index...)
            case 3: frame.insert(UInt8(truncatingIfNeeded: random.next()), at: index)
            default: frame[index] = [0x00, 0x7F, 0x80, 0xFF][Int(random.next() % 4)]
            }
        }
        return frame
    }

    static func randomID(_ random: inout SeededRandom) -> NodeID { NodeID("n\(random.next() % 1_000)")! }

    static func randomMeta(_ random: inout SeededRandom) -> SWIM.MemberMeta {
        var meta = Fixture.meta(Int(random.next() % 250))
        if random.next() % 2 == 0 { meta.resources["memory_bytes"] = Int64(bitPattern: random.next()) }
        return meta
    }

    static func randomGossip(_ random: inout SeededRandom) -> SWIM.Gossip {
        let node = randomID(&random)
        let incarnation = random.next() % 3 == 0 ? random.next() : random.next() % 10
        switch random.next() % 6 {
        case 5:
            return .broadcast(SWIM.Broadcast(topic: "t\(random.next() % 3)", id: randomBytes(&random, count: 1 + Int(random.next() % 40)),
                                             payload: randomBytes(&random, count: Int(random.next() % 60)))!)
        case 0: return .alive(node: node, incarnation: incarnation, meta: randomMeta(&random))
        case 1: return .suspect(node: node, incarnation: incarnation, suspector: randomID(&random))
        case 2: return .dead(node: node, incarnation: incarnation, declaredBy: randomID(&random))
        case 3: return .left(node: node, incarnation: incarnation)
        default: return .device(randomDevice(&random))
        }
    }

    static func randomDevice(_ random: inout SeededRandom) -> DeviceRecord {
        let node = randomID(&random)
        return DeviceRecord(
            id: DeviceID(node: node, index: Int(random.next() % 4)), node: node, zone: "z\(random.next() % 3)",
            address: Fixture.meta(Int(random.next() % 250)).clusterAddress, weight: Double(random.next() % 100),
            state: random.next() % 4 == 0 ? .removed : .active, version: DeviceVersion(counter: random.next() % 100, writer: node))
    }

    static func randomMessage(_ random: inout SeededRandom) -> SWIM.Message {
        let sequence = random.next() % 2 == 0 ? random.next() : random.next() % 1_000
        let target = randomID(&random)
        let payload: SWIM.Message.Payload
        switch random.next() % 6 {
        case 5: payload = .gossip
        case 0: payload = .ping(sequence: sequence, target: target)
        case 1: payload = .pingRequest(sequence: sequence, target: target, targetAddress: randomMeta(&random).clusterAddress)
        case 2: payload = .ack(sequence: sequence, target: target)
        case 3: payload = .nack(sequence: sequence, target: target)
        default:
            let members = (0..<Int(random.next() % 4)).map { _ in
                SWIM.MemberState(node: randomID(&random), status: SWIM.Status.allCases[Int(random.next() % 4)],
                                 incarnation: random.next() % 50, meta: randomMeta(&random))
            }
            let devices = DeviceSet((0..<Int(random.next() % 3)).map { _ in randomDevice(&random) })
            payload = .pushPull(SWIM.PushPull(isReply: random.next() % 2 == 0, members: members, devices: devices))
        }
        let gossip = (0..<Int(random.next() % 5)).map { _ in randomGossip(&random) }
        return SWIM.Message(sender: randomID(&random), senderAddress: randomMeta(&random).clusterAddress, payload: payload, gossip: gossip)
    }
}
