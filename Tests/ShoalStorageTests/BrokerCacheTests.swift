import Synchronization
import Testing
@testable import ShoalStorage

struct BrokerCacheTests {
    final class Closed: Sendable {
        let paths = Mutex<[String]>([])
    }

    @Test func leastRecentlyUsedBrokerIsClosedPastCapacity() async {
        let closed = Closed()
        let cache = BrokerCache<String>(capacity: 2, make: { "broker of \($0)" },
                                        close: { broker in closed.paths.withLock { $0.append(broker) } })
        #expect(await cache.broker(at: "a") == "broker of a")
        _ = await cache.broker(at: "b")
        _ = await cache.broker(at: "a")
        _ = await cache.broker(at: "c")
        #expect(closed.paths.withLock { $0 } == ["broker of b"])
        #expect(cache.count == 2)
    }
}
