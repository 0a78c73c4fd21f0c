import ShoalCore
@testable import ShoalMembership

/// Builders shared by the membership tests.
enum Fixture {
    static func id(_ index: Int) -> NodeID { NodeID("n\(index)")! }

    static func meta(_ index: Int) -> SWIM.MemberMeta {
        SWIM.MemberMeta(
            clusterAddress: ClusterAddress(host: "10.0.0.\(index)", port: 7946),
            restURL: "http://10.0.0.\(index):8080", zone: "z\(index % 3)", resources: ["cpus": 4])
    }

    static func state(_ index: Int, _ status: SWIM.Status = .alive, incarnation: UInt64 = 0) -> SWIM.MemberState {
        SWIM.MemberState(node: id(index), status: status, incarnation: incarnation, meta: meta(index))
    }

    /// Node `n0` knowing `n1 … n(members-1)` alive at incarnation 0.
    static func instance(members: Int = 10, settings: SWIM.Settings = .fast, seed: UInt64 = 1) -> SWIM.Instance {
        var instance = SWIM.Instance(myself: id(0), meta: meta(0), settings: settings, random: SeededRandom(seed: seed), now: .zero)
        instance.restore(members: (1..<max(1, members)).map { state($0) }, now: .zero)
        return instance
    }

    static func message(from index: Int, _ payload: SWIM.Message.Payload, gossip: [SWIM.Gossip] = []) -> SWIM.Message {
        SWIM.Message(sender: id(index), senderAddress: meta(index).clusterAddress, payload: payload, gossip: gossip)
    }

    /// Delivers `gossip` to `instance` on a harmless nack from `from`.
    static func deliver(_ gossip: [SWIM.Gossip], to instance: inout SWIM.Instance, from index: Int = 9, now: Duration = .zero) -> [SWIM.Directive] {
        instance.onMessage(message(from: index, .nack(sequence: 999_999, target: id(index)), gossip: gossip),
                           from: meta(index).clusterAddress, now: now)
    }

    /// Ticks `instance` at `step` granularity until `end`, collecting directives.
    static func tick(_ instance: inout SWIM.Instance, from start: Duration, to end: Duration, step: Duration = .milliseconds(5)) -> [SWIM.Directive] {
        var out: [SWIM.Directive] = []
        var now = start
        while now <= end {
            out += instance.onTick(now: now)
            now += step
        }
        return out
    }

    static func sends(_ directives: [SWIM.Directive]) -> [(SWIM.Message, ClusterAddress)] {
        directives.compactMap { if case .send(let message, let address) = $0 { (message, address) } else { nil } }
    }
}
