import ShoalCore
import ShoalPorts
import Synchronization

/// The simulated network that ``InMemoryTransport``s of one test share: who is attached
/// at which address, and the faults a test injects — nodes down, partitions, and random
/// loss drawn from one seeded generator so a run replays exactly.
///
/// Tests and the simulation harness create one, attach transports to it, and flip the
/// fault knobs while services run. Loss applies to one-way messages, requests and
/// responses; chunks, credit and stream ends are never dropped (they ride a connection, as
/// on TCP) but fail when their link goes down or is partitioned.
public final class InMemoryNetwork: Sendable {
    /// What happens to one message.
    enum Fate {
        case deliver(InMemoryTransport)
        case lost
        case unreachable
    }

    private struct State {
        var nodes: [ClusterAddress: InMemoryTransport] = [:]
        var down: Set<ClusterAddress> = []
        var groups: [ClusterAddress: Int] = [:]
        var dropProbability = 0.0
        var random: SeededRandom
        var nextPort: UInt16 = 40_000
    }

    private let state: Mutex<State>
    /// The clock every attached transport times out with.
    public let clock: any Clock<Duration>

    public init(seed: UInt64 = 0, clock: any Clock<Duration> = ContinuousClock()) {
        state = Mutex(State(random: SeededRandom(seed: seed)))
        self.clock = clock
    }

    // MARK: Fault knobs

    /// The node stops sending and receiving (as if its process hung or its cable was cut);
    /// it stays attached and comes back with ``bringUp(_:)``.
    public func takeDown(_ address: ClusterAddress) { _ = state.withLock { $0.down.insert(address) } }

    public func bringUp(_ address: ClusterAddress) { _ = state.withLock { $0.down.remove(address) } }

    /// Splits the network: nodes talk only within their group. Addresses in no group form
    /// one more group together.
    public func partition(_ groups: [Set<ClusterAddress>]) {
        state.withLock { state in
            state.groups = [:]
            for (index, group) in groups.enumerated() {
                for address in group { state.groups[address] = index }
            }
        }
    }

    /// Ends every partition.
    public func heal() { state.withLock { $0.groups = [:] } }

    /// Each droppable message is lost with this probability (0 ... 1).
    public func setDropProbability(_ probability: Double) {
        state.withLock { $0.dropProbability = min(1, max(0, probability)) }
    }

    /// Whether a message from `source` to `destination` could arrive now (ignoring loss).
    public func isReachable(from source: ClusterAddress, to destination: ClusterAddress) -> Bool {
        state.withLock { Self.reachable($0, source, destination) }
    }

    // MARK: Used by InMemoryTransport

    /// Attaches a transport; port 0 gets a fresh port. Replaces anything at that address.
    func attach(_ make: (ClusterAddress) -> InMemoryTransport, at address: ClusterAddress) -> InMemoryTransport {
        state.withLock { state in
            var resolved = address
            if address.port == 0 {
                repeat {
                    resolved = ClusterAddress(host: address.host, port: state.nextPort)
                    state.nextPort = state.nextPort == .max ? 40_000 : state.nextPort + 1
                } while state.nodes[resolved] != nil
            }
            let transport = make(resolved)
            state.nodes[resolved] = transport
            return transport
        }
    }

    func detach(_ transport: InMemoryTransport) {
        state.withLock { state in
            if state.nodes[transport.localAddress] === transport {
                state.nodes.removeValue(forKey: transport.localAddress)
            }
        }
    }

    func fate(from source: ClusterAddress, to destination: ClusterAddress, droppable: Bool) -> Fate {
        state.withLock { state in
            guard Self.reachable(state, source, destination), let node = state.nodes[destination] else { return .unreachable }
            if droppable, state.dropProbability > 0 {
                let draw = Double(state.random.next() >> 11) / Double(UInt64(1) << 53)
                if draw < state.dropProbability { return .lost }
            }
            return .deliver(node)
        }
    }

    private static func reachable(_ state: State, _ source: ClusterAddress, _ destination: ClusterAddress) -> Bool {
        !state.down.contains(source) && !state.down.contains(destination)
            && state.groups[source, default: -1] == state.groups[destination, default: -1]
    }
}
