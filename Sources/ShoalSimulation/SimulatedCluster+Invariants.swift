import ShoalCore
import ShoalMembership

extension SimulatedCluster {
    /// Indices of the nodes that are running.
    public var upNodeIndices: [Int] { nodes.indices.filter { nodes[$0].isUp } }

    /// Every up node sees every other up node alive, and all up nodes hold the same
    /// device set (equal sets have equal digests).
    public var isConverged: Bool {
        let up = upNodeIndices
        guard let first = up.first else { return true }
        let reference = nodes[first].instance.deviceSet
        for observer in up {
            let instance = nodes[observer].instance
            guard instance.deviceSet == reference else { return false }
            for subject in up where subject != observer {
                guard instance.member(nodes[subject].id)?.status == .alive else { return false }
            }
        }
        return true
    }

    /// Every up node other than `node` sees it with `status`.
    public func allUpNodesSee(_ node: NodeID, as status: SWIM.Status) -> Bool {
        for observer in upNodeIndices where nodes[observer].id != node {
            guard nodes[observer].instance.member(node)?.status == status else { return false }
        }
        return true
    }

    /// How many up nodes (other than `node`) see it with `status`.
    public func countOfUpNodesSeeing(_ node: NodeID, as status: SWIM.Status) -> Int {
        upNodeIndices.filter { nodes[$0].id != node && nodes[$0].instance.member(node)?.status == status }.count
    }

    /// Death declarations about nodes that were running at the time.
    public var falseDeaths: [DeathDeclaration] { deathDeclarations.filter(\.wasUp) }

    /// Messages sent by all nodes so far.
    public var totalMessagesSent: Int { messagesSent.reduce(0, +) }

    /// Bytes sent by all nodes so far (counted only when the network encodes messages).
    public var totalBytesSent: Int { bytesSent.reduce(0, +) }
}
