import Testing
@testable import ShoalCore

struct ClusterKeysTests {
    @Test func derivationIsDeterministicAndSeparatesRoles() {
        let secret = Array("cluster secret".utf8)
        let keys = ClusterKeys(clusterSecret: secret)
        #expect(keys == ClusterKeys(clusterSecret: secret))
        #expect(keys.curveServerSecretKey.count == 32)
        #expect(keys.curveClientSecretKey.count == 32)
        #expect(keys.curveServerSecretKey != keys.curveClientSecretKey)
        #expect(keys != ClusterKeys(clusterSecret: Array("cluster secreT".utf8)))
    }
}
