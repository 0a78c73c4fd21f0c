import Logging
import ShoalCore
import ShoalPorts

/// Sends one backend request to several replicas at once, resolving each device to its
/// node through the ring: how an object server tells container servers about a write, a
/// container server tells account servers, and the updaters retry both.
struct ReplicaUpdates: Sendable {
    let client: BackendClient
    let cluster: any ClusterView
    /// How long one update may take before it counts as failed (and is kept as an async
    /// pending): short, like Swift's `container_update_timeout`, so a write is not held up
    /// by a replica that is slow or cut off but not yet known dead.
    var timeout: Duration = .seconds(3)

    /// Sends the head `makeHead` builds for each device, concurrently, to the node the
    /// caller named for it in `addresses` or else the ring's; the answer is each device's
    /// status, or nil when the device is unknown, its node is down (not asked) or did not
    /// answer in time.
    func send(
        to devices: [DeviceID], addresses: [DeviceID: ClusterAddress] = [:], on channel: Envelope.Channel,
        makeHead: @escaping @Sendable (DeviceID) -> BackendRequestHead
    ) async -> [DeviceID: Int?] {
        let snapshot = await cluster.snapshot()
        let targets = devices.map { Self.target($0, given: addresses, in: snapshot) }
        let send = { @Sendable [client, timeout] (device: DeviceID, address: ClusterAddress?) async -> Int? in
            guard let address else { return nil }
            do {
                let response = try await client.send(makeHead(device), on: channel, to: address, timeout: timeout)
                await drain(response.body)
                return response.status
            } catch {
                return nil
            }
        }
        // One replica to tell (an object server's usual update) needs no task of its own.
        if devices.count == 1 { return [devices[0]: await send(devices[0], targets[0])] }
        return await withTaskGroup(of: (DeviceID, Int?).self) { group in
            for (device, address) in zip(devices, targets) {
                group.addTask { (device, await send(device, address)) }
            }
            var statuses: [DeviceID: Int?] = [:]
            for await (device, status) in group { statuses[device] = status }
            return statuses
        }
    }

    /// Where `device` is asked: the caller's address for it, else the ring's; nil when the
    /// ring holds it down or does not know it and the caller named none (as ``send``).
    func address(of device: DeviceID, given addresses: [DeviceID: ClusterAddress]) async -> ClusterAddress? {
        Self.target(device, given: addresses, in: await cluster.snapshot())
    }

    /// A device the ring holds down is not asked; otherwise the caller's address for it,
    /// else the ring's.
    private static func target(
        _ device: DeviceID, given addresses: [DeviceID: ClusterAddress], in snapshot: ClusterSnapshot
    ) -> ClusterAddress? {
        let record = snapshot.ring.devices.first { $0.id == device }
        if let record, snapshot.isDown(record) { return nil }
        return addresses[device] ?? record?.address
    }

    /// The primaries of the partition of `/account[/container]` in the current ring.
    func primaries(account: String, container: String? = nil, hasher: PathHasher) async -> (partition: Int, devices: [DeviceID]) {
        let ring = await cluster.snapshot().ring
        let partition = ring.partition(ofDigest: hasher.digest(account: account, container: container))
        return (partition, ring.primaries(of: partition).map(\.id))
    }
}

extension ContainerUpdate {
    /// The backend request a container server applies for this update: Swift's object
    /// server → container server PUT or DELETE with the object row's fields.
    func backendHead(device: DeviceID, partition: Int) -> BackendRequestHead {
        var headers: HeaderFields = [BackendHeader.timestamp: timestamp.internal]
        if operation == .put {
            headers[BackendHeader.size] = String(sizeBytes)
            headers[BackendHeader.contentType] = contentType
            headers[BackendHeader.etag] = etag
        }
        return BackendRequestHead(method: operation == .put ? "PUT" : "DELETE", device: device, partition: partition,
                                  account: account, container: container, object: object, headers: headers)
    }
}
