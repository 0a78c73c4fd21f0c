import ArgumentParser
import Foundation
import ShoalCore
import ShoalNode
import ShoalPorts
import ShoalZeroMQ

/// `shoal remove NODE`: drains a node — its devices leave the ring, its data moves to the
/// new owners, and the node leaves the cluster and stops once it holds nothing (`--now`
/// removes it at once instead). Asks a running node over the (secret-authenticated)
/// control channel.
struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Remove a node from the cluster: drain its data to the others, then let it go.")

    @Argument(help: "The node id to remove.")
    var node: String

    @Option(help: "Cluster address of a running node.")
    var cluster: String = "127.0.0.1:7000"

    @Option(help: "File holding the cluster secret (default: <data-dir>/cluster.secret).")
    var secretFile: String?

    @Option(help: "Data folder whose secret to use.")
    var dataDir: String = "./shoal-data"

    @Flag(help: "Remove at once, without draining (its replicas are restored from the others).")
    var now = false

    func run() async throws {
        guard let target = NodeID(node) else { throw ValidationError("\(node) is not a node id") }
        guard let address = ClusterAddress(cluster) else { throw ValidationError("--cluster expects host:port") }
        let secret = try ClusterSecretSource.load(file: secretFile, dataDirectory: dataDir)
        let transport = try ZeroMQTransport(bind: ClusterAddress(host: "127.0.0.1", port: 0), clusterSecret: secret)
        defer { Task { await transport.shutdown() } }
        let response: TransportResponse
        do {
            response = try await transport.request(
                TransportRequest(channel: .control,
                                 head: (now ? ControlRequest.removeNode(target) : .drainNode(target)).wireBytes()),
                to: address, timeout: .seconds(10))
        } catch {
            throw ValidationError("no answer from \(address): \(error) (is the secret right?)")
        }
        switch try ControlResponse(wireBytes: response.head) {
        case .removed(let node, let devices):
            print("removed \(node): \(devices) device(s) left the ring; rebalancing follows")
        case .draining(let node, let devices):
            print("draining \(node): \(devices) device(s) left the ring; it leaves once its data has moved (see shoal status)")
        case .refused(let reason):
            throw ValidationError("refused: \(reason)")
        case .clusterInfo, .movesDone:
            throw ValidationError("unexpected answer from \(address)")
        }
        await transport.shutdown()
    }
}

/// Finds the cluster secret for a command: the environment, a named file, or the data folder.
enum ClusterSecretSource {
    static func load(file: String?, dataDirectory: String) throws -> ClusterSecret {
        if let text = ProcessInfo.processInfo.environment["SHOAL_CLUSTER_SECRET"], !text.isEmpty {
            guard let secret = ClusterSecret(text: text) else {
                throw ValidationError("SHOAL_CLUSTER_SECRET is not a cluster secret (shoal1:<64 hex>)")
            }
            return secret
        }
        let directory = DataDirectory(path: dataDirectory)
        guard let secret = try directory.loadSecret(from: file) else {
            throw ValidationError("no cluster secret: set SHOAL_CLUSTER_SECRET or pass --secret-file")
        }
        return secret
    }
}
