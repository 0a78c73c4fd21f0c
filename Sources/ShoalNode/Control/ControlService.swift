import Logging
import ShoalCore
import ShoalPorts

/// Answers the control channel: cluster info for joining nodes, `shoal remove`, and
/// whether this node's moves for a ring are done (asked by joining nodes).
public struct ControlService: TransportHandler {
    let info: ClusterInfo
    let membership: MembershipService
    /// The ring this node's replicators last finished every move on (nil: not done, or no storage).
    let movesDone: @Sendable () -> String?
    let logger: Logger

    public init(info: ClusterInfo, membership: MembershipService, movesDone: @escaping @Sendable () -> String? = { nil },
                logger: Logger) {
        self.info = info
        self.membership = membership
        self.movesDone = movesDone
        self.logger = logger
    }

    public func receive(oneway payload: [UInt8], on channel: Envelope.Channel) async {}

    public func respond(to request: TransportRequest) async -> TransportResponse {
        let answer: ControlResponse
        do {
            switch try ControlRequest(wireBytes: request.head) {
            case .clusterInfo:
                answer = .clusterInfo(info)
            case .removeNode(let node):
                let devices = await membership.removeNode(node)
                logger.notice("node removed by request", metadata: ["node": "\(node)", "devices": "\(devices)"])
                answer = devices > 0 ? .removed(node: node, devices: devices) : .refused(reason: "\(node) has no active devices")
            case .drainNode(let node):
                let devices = await membership.drainNode(node)
                logger.notice("node draining by request", metadata: ["node": "\(node)", "devices": "\(devices)"])
                answer = devices > 0 ? .draining(node: node, devices: devices) : .refused(reason: "\(node) has no active devices")
            case .movesDone:
                answer = .movesDone(ring: movesDone())
            }
        } catch {
            return TransportResponse(status: .badRequest, head: ControlResponse.refused(reason: "\(error)").wireBytes())
        }
        return TransportResponse(head: answer.wireBytes())
    }

    /// Asks `seeds` in turn which cluster they belong to, until one answers or `timeout` passes.
    public static func fetchClusterInfo(
        from seeds: [ClusterAddress], over transport: any ClusterTransport, timeout: Duration, logger: Logger
    ) async throws -> ClusterInfo {
        let deadline = ContinuousClock.now + timeout
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            for seed in seeds {
                do {
                    let response = try await transport.request(
                        TransportRequest(channel: .control, head: ControlRequest.clusterInfo.wireBytes()),
                        to: seed, timeout: .seconds(2))
                    if case .clusterInfo(let info) = try ControlResponse(wireBytes: response.head) { return info }
                } catch {
                    lastError = error
                    logger.info("seed not answering yet", metadata: ["seed": "\(seed)", "error": "\(error)"])
                }
            }
            try await Task.sleep(for: .milliseconds(500))  // back off between rounds of seeds
        }
        throw JoinError.noSeedAnswered(seeds: seeds, lastError: lastError.map { "\($0)" } ?? "none")
    }
}

public enum JoinError: Error, CustomStringConvertible {
    case noSeedAnswered(seeds: [ClusterAddress], lastError: String)
    case wrongSecret(expected: String, found: String)

    public var description: String {
        switch self {
        case .noSeedAnswered(let seeds, let lastError):
            "no seed answered (\(seeds.map(\.description).joined(separator: ", "))): \(lastError); "
                + "check the address and that this node has the cluster's secret"
        case .wrongSecret(let expected, let found):
            "this data folder belongs to the cluster with secret \(expected), but the secret given is \(found)"
        }
    }
}
