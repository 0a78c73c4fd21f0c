import Foundation
import Logging
import Metrics
import ShoalCore
import ShoalSQLite

/// OpenStack Swift's container and account auditors: checks every database on this
/// node's devices with SQLite's `PRAGMA quick_check` and reads its replication info. A
/// damaged database moves to `<device>/quarantined/<containers|accounts>/<hash>/` (as
/// Swift keeps them); the next replication pass of a peer finds it missing here and
/// rebuilds it whole from a good replica.
public final class DatabaseAuditor<Broker: ReplicatedDatabase>: Sendable {
    /// What one sweep found.
    public struct Sweep: Hashable, Sendable {
        public var databases = 0
        public var quarantined = 0
        public var errors = 0

        public init() {}
    }

    let kind: DatabaseKind
    let devicePaths: [DeviceID: String]
    let brokers: BrokerCache<Broker>
    let logger: Logger
    private let quarantines: Counter
    private let checked: Counter

    init(kind: DatabaseKind, devicePaths: [DeviceID: String], brokers: BrokerCache<Broker>, logger: Logger) {
        self.kind = kind
        self.devicePaths = devicePaths
        self.brokers = brokers
        self.logger = logger
        quarantines = Counter(label: "shoal_db_auditor_quarantined_total", dimensions: [("kind", kind.rawValue)])
        checked = Counter(label: "shoal_db_auditor_checked_total", dimensions: [("kind", kind.rawValue)])
    }

    /// One sweep over every database of every local device.
    @discardableResult
    public func runOnce() async -> Sweep {
        var sweep = Sweep()
        for (device, devicePath) in devicePaths.sorted(by: { $0.key < $1.key }) {
            for path in StorageLayout.databases(under: devicePath + "/" + kind.folder) {
                if Task.isCancelled { return sweep }
                await audit(path, device: device, devicePath: devicePath, sweep: &sweep)
            }
        }
        return sweep
    }

    /// Sweeps every `interval` until the task is cancelled.
    public func run(every interval: Duration) async {
        while !Task.isCancelled {
            let sweep = await runOnce()
            logger.debug("\(kind.rawValue) audit sweep", metadata: ["databases": "\(sweep.databases)",
                                                                    "quarantined": "\(sweep.quarantined)"])
            try? await Task.sleep(for: interval)
        }
    }

    private func audit(_ path: String, device: DeviceID, devicePath: String, sweep: inout Sweep) async {
        let problems: [String]
        do {
            problems = try await brokers.broker(at: path).integrityProblems()
        } catch {
            sweep.errors += 1
            logger.warning("cannot audit \(kind.rawValue) database", metadata: ["path": "\(path)", "error": "\(error)"])
            return
        }
        sweep.databases += 1
        checked.increment()
        guard !problems.isEmpty else { return }
        await brokers.evict(path)
        do {
            let destination = try Self.quarantine(path, into: devicePath + "/quarantined/" + kind.quarantineFolder)
            sweep.quarantined += 1
            quarantines.increment()
            logger.error("quarantined a damaged \(kind.rawValue) database", metadata: [
                "device": "\(device)", "path": "\(path)", "to": "\(destination)", "problems": "\(problems.prefix(3))",
            ])
        } catch {
            sweep.errors += 1
            logger.error("cannot quarantine \(kind.rawValue) database", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    /// Moves the database (with its journal files) to `<folder>/<hash>/`, the hash being its
    /// folder's name; a second quarantine of one hash gets a numbered folder. Returns it.
    static func quarantine(_ path: String, into folder: String) throws -> String {
        let files = FileManager.default
        let parent = (path as NSString).deletingLastPathComponent
        let hash = (parent as NSString).lastPathComponent
        var destination = folder + "/" + hash
        var attempt = 1
        while files.fileExists(atPath: destination) {
            attempt += 1
            destination = folder + "/" + hash + "-\(attempt)"
        }
        try files.createDirectory(atPath: destination, withIntermediateDirectories: true)
        let name = (path as NSString).lastPathComponent
        for suffix in ["", "-wal", "-shm"] where files.fileExists(atPath: path + suffix) {
            try files.moveItem(atPath: path + suffix, toPath: destination + "/" + name + suffix)
        }
        if (try? files.contentsOfDirectory(atPath: parent).isEmpty) == true { try? files.removeItem(atPath: parent) }
        return destination
    }
}

extension DatabaseKind {
    /// Swift's quarantine folder names.
    var quarantineFolder: String { self == .container ? "containers" : "accounts" }
}

extension DatabaseAuditor where Broker == ContainerBroker {
    /// Audits the container databases `server` keeps, through its brokers.
    public convenience init(server: ContainerServer) {
        self.init(kind: .container, devicePaths: server.devicePaths, brokers: server.brokers, logger: server.logger)
    }
}

extension DatabaseAuditor where Broker == AccountBroker {
    /// Audits the account databases `server` keeps, through its brokers.
    public convenience init(server: AccountServer) {
        self.init(kind: .account, devicePaths: server.devicePaths, brokers: server.brokers, logger: server.logger)
    }
}
