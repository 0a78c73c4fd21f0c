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
        }
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
