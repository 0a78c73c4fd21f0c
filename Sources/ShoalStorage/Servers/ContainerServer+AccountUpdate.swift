import ShoalCore
import ShoalPorts
import ShoalSQLite

/// The container → account update: a container's put and delete timestamps and usage,
/// sent as a backend PUT of the container row to account replicas.
extension ContainerServer {
    enum AccountUpdateOutcome: Equatable {
        /// Nothing to send (no target named), or at least one replica took it or failed otherwise.
        case done
        /// Every account replica answered 404: the account does not exist (Swift then
        /// answers the container PUT or DELETE with 404).
        case allNotFound
    }

    /// Tells the account replicas the proxy named (`X-Account-Device`, `X-Account-Partition`).
    /// Other failures are only logged: the ``ContainerUpdater`` sends the stats again.
    func updateAccount(_ head: BackendRequestHead, broker: ContainerBroker) async -> AccountUpdateOutcome {
        let (devices, addresses) = head.updateTargets(devices: BackendHeader.accountDevice, hosts: BackendHeader.accountHost)
        guard !devices.isEmpty, let partition = head.headers.integer(BackendHeader.accountPartition) else { return .done }
        let info: ContainerInfo
        do {
            info = try await broker.info()
        } catch {
            logger.error("cannot read container info for the account update", metadata: ["path": "\(head.path)", "error": "\(error)"])
            return .done
        }
        let statuses = await updates.send(to: devices, addresses: addresses, on: .account) { device in
            Self.accountUpdate(info, device: device, partition: partition)
        }
        if statuses.values.allSatisfy({ $0 == 404 }) { return .allNotFound }
        let failed = statuses.filter { !($0.value.map { (200..<300).contains($0) } ?? false) }
        if !failed.isEmpty {
            logger.info("account update failed", metadata: ["path": "\(head.path)", "statuses": "\(failed)"])
        }
        return .done
    }

    /// The backend PUT of `info`'s row to the account replica on `device`.
    static func accountUpdate(_ info: ContainerInfo, device: DeviceID, partition: Int) -> BackendRequestHead {
        BackendRequestHead(
            method: "PUT", device: device, partition: partition, account: info.account, container: info.container,
            headers: [
                BackendHeader.timestamp: info.putTimestamp.internal,
                BackendHeader.putTimestamp: info.putTimestamp.internal,
                BackendHeader.deleteTimestamp: info.deleteTimestamp.internal,
                BackendHeader.objectCount: String(info.objectCount),
                BackendHeader.bytesUsed: String(info.bytesUsed),
                BackendHeader.storagePolicyIndex: "0",
            ])
    }
}
