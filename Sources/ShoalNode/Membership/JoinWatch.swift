import Logging
import ShoalCore
import ShoalPorts

/// Turns this node's joining device active once the partitions the ring moves to it have
/// arrived: when its join is the oldest change in flight (so the ring has moved all of its
/// replicas already) and every live member says its replicators finished every move on the
/// current ring (``ControlRequest/movesDone``). Until then the device takes its new
/// partitions one replica at a time, with the devices they leave still written and read
/// first; afterwards the next change's moves begin.
public struct JoinWatch: Sendable {
    let membership: MembershipService
    let transport: any ClusterTransport
    /// This node's own answer (asked directly rather than over the transport).
    let localMovesDone: @Sendable () -> String?
    let logger: Logger

    public init(membership: MembershipService, transport: any ClusterTransport,
                localMovesDone: @escaping @Sendable () -> String?, logger: Logger) {
        self.membership = membership
        self.transport = transport
        self.localMovesDone = localMovesDone
        self.logger = logger
    }

    /// Checks every `interval` until the task is cancelled.
    public func run(every interval: Duration) async {
        while !Task.isCancelled {
            await settleIfDone()
            try? await Task.sleep(for: interval)
        }
    }

    /// One check; returns the devices it turned active.
    @discardableResult
    public func settleIfDone() async -> [DeviceID] {
        let ready = await membership.devicesReadyToSettle
        guard !ready.isEmpty else { return [] }
        let ring = await membership.ring.checksum
        let local = await membership.snapshot().localNode
        for member in await membership.liveMembers {
            let done = member.node == local ? localMovesDone() : await movesDone(at: member.address)
            guard done == ring else {
                logger.debug("join not settled yet", metadata: ["member": "\(member.node)", "ring": "\(ring.prefix(12))"])
                return []
            }
        }
        // The ring may have changed while the members were asked.
        guard await membership.ring.checksum == ring else { return [] }
        let activated = await membership.activate(ready)
        guard activated > 0 else { return [] }
        logger.notice("joined: every partition moved here has arrived; device active", metadata: [
            "devices": "\(ready.map(\.rawValue))", "ring": "\(ring.prefix(12))",
        ])
        return ready
    }

    private func movesDone(at address: ClusterAddress) async -> String? {
        let request = TransportRequest(channel: .control, head: ControlRequest.movesDone.wireBytes())
        guard let response = try? await transport.request(request, to: address, timeout: .seconds(5)),
              case .movesDone(let ring) = try? ControlResponse(wireBytes: response.head) else { return nil }
        return ring
    }
}
