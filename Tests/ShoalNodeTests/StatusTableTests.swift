import Testing
@testable import ShoalNode

@Suite("shoal status table")
struct StatusTableTests {
    @Test("members and devices line up in columns")
    func renders() {
        let status = ClusterStatus(
            node: "node1", secretFingerprint: "f00dcafe",
            members: [
                .init(id: "node2", status: "dead", incarnation: 4, zone: "z2", clusterAddress: "127.0.0.1:7001",
                      restURL: "http://127.0.0.1:8081", resources: [:]),
                .init(id: "node1", status: "alive", incarnation: 0, zone: "z1", clusterAddress: "127.0.0.1:7000",
                      restURL: "http://127.0.0.1:8080", resources: [:]),
            ],
            ring: .init(version: 7, checksum: "0123456789abcdef0123", partPower: 16, replicas: 3, devices: [
                .init(id: "node1-d0", node: "node1", zone: "z1", weight: 1, partitions: 65536, balancePercent: 100),
            ]))
        let text = StatusTable.render(status)
        #expect(text.contains("Members: 2 (1 alive)"))
        #expect(text.contains("Ring: version 7, checksum 0123456789abcdef…"))
        let lines = text.split(separator: "\n").map(String.init)
        let node1 = lines.first { $0.hasPrefix("node1 ") }!
        let node2 = lines.first { $0.hasPrefix("node2 ") }!
        #expect(lines.firstIndex(of: node1)! < lines.firstIndex(of: node2)!, "sorted by id")
        #expect(node1.range(of: "alive")!.lowerBound.utf16Offset(in: node1) == node2.range(of: "dead")!.lowerBound.utf16Offset(in: node2))
        #expect(text.contains("node1-d0  node1  z1    1       65536       100%"))
    }
}
