import Synchronization

/// The open database brokers of a container or account server, by file path, at most
/// `capacity` of them: the least recently used is closed when a new one is needed. A closed
/// broker reopens its file on its next call, so a request still holding an evicted one
/// stays correct.
final class BrokerCache<Broker: Sendable>: Sendable {
    private struct State {
        var brokers: [String: Broker] = [:]
        /// Paths, least recently used first.
        var order: [String] = []
    }

    private let state = Mutex(State())
    private let capacity: Int
    private let make: @Sendable (String) -> Broker
    private let close: @Sendable (Broker) async -> Void

    init(capacity: Int, make: @escaping @Sendable (String) -> Broker, close: @escaping @Sendable (Broker) async -> Void) {
        self.capacity = max(1, capacity)
        self.make = make
        self.close = close
    }

    /// The broker of `path`, made if needed.
    func broker(at path: String) async -> Broker {
        let (broker, evicted) = state.withLock { state -> (Broker, Broker?) in
            if let broker = state.brokers[path] {
                if let index = state.order.firstIndex(of: path) { state.order.remove(at: index) }
                state.order.append(path)
                return (broker, nil)
            }
            let broker = make(path)
            state.brokers[path] = broker
            state.order.append(path)
            var evicted: Broker?
            if state.order.count > capacity {
                let oldest = state.order.removeFirst()
                evicted = state.brokers.removeValue(forKey: oldest)
            }
            return (broker, evicted)
        }
        if let evicted { await close(evicted) }
        return broker
    }

    var count: Int { state.withLock { $0.brokers.count } }

    /// Closes and forgets the broker of `path` (its file is going away).
    func evict(_ path: String) async {
        let broker = state.withLock { state -> Broker? in
            state.order.removeAll { $0 == path }
            return state.brokers.removeValue(forKey: path)
        }
        if let broker { await close(broker) }
    }
}
