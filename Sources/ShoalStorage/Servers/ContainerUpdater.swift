import Logging
import ShoalCore
import ShoalPorts
import ShoalSQLite
import Synchronization

/// Swift's container updater: walks the container databases of this node's devices and
/// sends each container whose counts or timestamps changed since its last report to every
/// primary of its account, so account listings and usage converge even when the update a
/// container PUT or DELETE sent was lost. Runs as a loop beside the container server; tests
/// call ``runOnce()``.
///
/// What was last reported is kept in memory (Swift keeps it in the database): after a
/// restart every container is reported once more, which the account broker absorbs.
public final class ContainerUpdater: Sendable {
    public struct Pass: Hashable, Sendable {
        public var reported = 0
        public var unchanged = 0
        public var failed = 0
    }

    /// The fields an account row is made of.
    struct Report: Hashable {
        let putTimestamp: SwiftTimestamp
        let deleteTimestamp: SwiftTimestamp
        let objectCount: Int64
        let bytesUsed: Int64

        init(_ info: ContainerInfo) {
            putTimestamp = info.putTimestamp
            deleteTimestamp = info.deleteTimestamp
            objectCount = info.objectCount
            bytesUsed = info.bytesUsed
        }
    }

    let server: ContainerServer
    private let reported = Mutex<[String: Report]>([:])

    /// Reports the containers `server` keeps, through its brokers and client.
    public init(server: ContainerServer) {
        self.server = server
    }

    /// One pass over every container database.
    @discardableResult
    public func runOnce() async -> Pass {
        var pass = Pass()
        for (_, devicePath) in server.devicePaths.sorted(by: { $0.key < $1.key }) {
            for path in StorageLayout.databases(under: devicePath + "/" + StorageLayout.containerFolder) {
                await report(path, pass: &pass)
            }
        }
        return pass
    }

    /// Passes every `interval` until the task is cancelled.
    public func run(every interval: Duration, clock: any Clock<Duration> = ContinuousClock()) async {
        while !Task.isCancelled {
            let pass = await runOnce()
            if pass.reported + pass.failed > 0 { server.logger.info("container updater pass", metadata: ["pass": "\(pass)"]) }
            do { try await clock.sleep(for: interval) } catch { return }
        }
    }

    private func report(_ path: String, pass: inout Pass) async {
        let broker = await server.brokers.broker(at: path)
        let info: ContainerInfo
        do {
            info = try await broker.info()
        } catch {
            server.logger.error("cannot read container database", metadata: ["path": "\(path)", "error": "\(error)"])
            pass.failed += 1
            return
        }
        let report = Report(info)
        if reported.withLock({ $0[path] }) == report {
            pass.unchanged += 1
            return
        }
        let (partition, devices) = await server.updates.primaries(account: info.account, hasher: server.layout.hasher)
        let statuses = await server.updates.send(to: devices, on: .account) { device in
            ContainerServer.accountUpdate(info, device: device, partition: partition)
        }
        let successes = statuses.values.filter { $0.map { (200..<300).contains($0) } ?? false }.count
        if !devices.isEmpty && successes >= devices.count / 2 + 1 {
            reported.withLock { $0[path] = report }
            pass.reported += 1
        } else {
            pass.failed += 1
        }
    }
}
