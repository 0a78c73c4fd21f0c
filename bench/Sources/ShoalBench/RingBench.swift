import ArgumentParser
import ShoalCore

/// Ring build time and lookups per second (MD5 of the path, partition, primaries).
struct RingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ring", abstract: "Ring build and lookup speed.")

    @Option(help: "Devices in the ring.") var devices: [Int] = [3, 12, 100]
    @Option(help: "Lookups to time.") var lookups = 1_000_000

    func run() async throws {
        print("== ring (part power 16, 3 replicas)")
        let hasher = PathHasher(prefix: "bench-prefix", suffix: "bench-suffix")
        for count in devices {
            let set = DeviceSet.loopback(nodes: count, zones: max(3, count / 4))
            let buildStart = ContinuousClock.now
            let ring = Ring(deviceSet: set, parameters: .default)
            let build = ContinuousClock.now - buildStart

            let names = (0..<1024).map { "object-\($0)" }
            var checksum = 0
            let start = ContinuousClock.now
            for index in 0..<lookups {
                let digest = hasher.digest(account: "AUTH_bench", container: "c", object: names[index & 1023])
                checksum &+= Int(ring.primaryIndices(of: ring.partition(ofDigest: digest)).first ?? 0)
            }
            let elapsed = ContinuousClock.now - start
            let perSecond = Double(lookups) / elapsed.seconds
            print("devices \(pad(count, 4))  build \(format(build.seconds * 1000)) ms  lookups \(format(perSecond / 1e6)) M/s (path MD5 + partition + primaries)  [\(checksum & 1)]")
            // A read's device order: a read the first owner answers (nearly all) against one
            // that walks the whole order, owners and ranked handoffs (what every read paid
            // before handoffs were ranked lazily).
            let local = ring.devices[0].node
            let first = Self.rate(lookups / 10) { index in
                Placement.readOrder(partition: index & (ring.partitionCount - 1), ring: ring, localNode: local,
                                    isDown: { _ in false }).first { _ in true }?.id.rawValue.utf8.count ?? 0
            }
            let whole = Self.rate(lookups / 10) { index in
                Placement.readOrder(partition: index & (ring.partitionCount - 1), ring: ring, localNode: local,
                                    isDown: { _ in false }).reduce(0) { $0 &+ $1.id.rawValue.utf8.count }
            }
            let writes = Self.rate(lookups / 10) { index in
                Placement.writeTargets(partition: index & (ring.partitionCount - 1), ring: ring, isDown: { _ in false }).count
            }
            print("              read order: first owner \(format(first / 1e6)) M/s, whole order \(format(whole / 1e6)) M/s; write targets \(format(writes / 1e6)) M/s")
        }
    }
}

extension RingBench {
    /// Calls of `body` per second over `count` calls (its results summed, so none is skipped).
    static func rate(_ count: Int, _ body: (Int) -> Int) -> Double {
        var checksum = 0
        let start = ContinuousClock.now
        for index in 0..<count { checksum &+= body(index) }
        let elapsed = ContinuousClock.now - start
        if checksum == Int.min { print(checksum) }
        return Double(count) / elapsed.seconds
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

func format(_ value: Double, digits: Int = 2) -> String {
    let scale = Double([1, 10, 100, 1000, 10000][min(digits, 4)])
    return String((value * scale).rounded() / scale)
}

func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return String(repeating: " ", count: max(0, width - text.count)) + text
}
