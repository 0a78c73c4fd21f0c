import Foundation
import Logging
import Metrics
import ShoalCore
import ShoalPorts
import ShoalSQLite

/// OpenStack Swift's account reaper: once an account is deleted (a reseller's `DELETE` of
/// the account marks its databases `DELETED`), it deletes every object of every container
/// the account still lists, then the containers, through the proxy — so quorum, handoffs,
/// container and account updates all work as for a client. One node reaps each account:
/// the one holding its first live primary, so the work is not done three times.
public final class AccountReaper: Sendable {
    /// What one pass removed.
    public struct Pass: Hashable, Sendable {
        public var accounts = 0
        public var containers = 0
        public var objects = 0
        public var failures = 0

        public init() {}
    }

    let devicePaths: [DeviceID: String]
    let layout: StorageLayout
    let brokers: BrokerCache<AccountBroker>
    let cluster: any ClusterView
    /// The proxy, without auth: the reaper acts for the cluster.
    let proxy: any StorageHandler
    let logger: Logger
    let now: @Sendable () -> SwiftTimestamp
    private let reaped = Counter(label: "shoal_reaper_objects_deleted_total")

    public init(server: AccountServer, cluster: any ClusterView, proxy: any StorageHandler, logger: Logger,
                now: @escaping @Sendable () -> SwiftTimestamp = ObjectServer.systemNow) {
        self.now = now
        devicePaths = server.devicePaths
        layout = server.layout
        brokers = server.brokers
        self.cluster = cluster
        self.proxy = proxy
        self.logger = logger
    }

    @discardableResult
    public func runOnce() async -> Pass {
        var pass = Pass()
        let snapshot = await cluster.snapshot()
        for (device, path) in devicePaths.sorted(by: { $0.key < $1.key }) {
            for database in StorageLayout.databases(under: path + "/" + StorageLayout.accountFolder) {
                let broker = await brokers.broker(at: database)
                do {
                    let info = try await broker.info()
                    guard info.isDeleted else { continue }
                    let primaries = snapshot.ring.primaries(of: layout.partition(account: info.account))
                    guard primaries.first(where: { !snapshot.isDown($0) })?.id == device else { continue }
                    let containers = try await broker.list(query: ListingQuery()).compactMap { listing -> ContainerListingEntry? in
                        if case .container(let entry) = listing { return entry }
                        return nil
                    }
                    guard !containers.isEmpty else { continue }
                    pass.accounts += 1
                    for container in containers where await reap(account: info.account, container: container.name, pass: &pass) {
                        // The deleted account takes no updates from container servers: its
                        // row goes here, and database replication carries it to the others.
                        try await broker.putContainer(name: container.name, putTimestamp: container.lastModified,
                                                      deleteTimestamp: now(), objectCount: 0, bytesUsed: 0)
                    }
                } catch {
                    pass.failures += 1
                    logger.warning("cannot read an account database", metadata: ["path": "\(database)", "error": "\(error)"])
                }
            }
        }
        if pass.objects > 0 || pass.containers > 0 {
            logger.info("reaper pass", metadata: ["accounts": "\(pass.accounts)", "containers": "\(pass.containers)",
                                                  "objects": "\(pass.objects)", "failures": "\(pass.failures)"])
        }
        return pass
    }

    /// Passes every `interval` until the task is cancelled.
    public func run(every interval: Duration) async {
        while !Task.isCancelled {
            await runOnce()
            try? await Task.sleep(for: interval)
        }
    }

    /// Deletes a container's objects a listing page at a time, then the container; true
    /// when the container is gone.
    private func reap(account: String, container: String, pass: inout Pass) async -> Bool {
        while !Task.isCancelled {
            let listing = await proxy.handle(StorageRequest(method: "GET", account: account, container: container,
                                                            query: ["format": "json", "limit": "1000"]))
            guard listing.status == 200, let body = try? await listing.body?.collect(upTo: 16 << 20),
                  let entries = try? JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]]
            else {
                if listing.status != 404 && listing.status != 204 { pass.failures += 1 }
                break
            }
            let names = entries.compactMap { $0["name"] as? String }
            if names.isEmpty { break }
            var progressed = false
            for name in names {
                let answer = await proxy.handle(StorageRequest(method: "DELETE", account: account, container: container, object: name))
                await ProxyServer.drain(answer.body)
                if answer.isSuccess || answer.status == 404 {
                    pass.objects += 1
                    reaped.increment()
                    progressed = true
                } else {
                    pass.failures += 1
                }
            }
            if !progressed { return false }
        }
        let answer = await proxy.handle(StorageRequest(method: "DELETE", account: account, container: container))
        await ProxyServer.drain(answer.body)
        guard answer.isSuccess || answer.status == 404 else {
            pass.failures += 1
            return false
        }
        pass.containers += 1
        return true
    }
}
