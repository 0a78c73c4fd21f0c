import Testing
@testable import ShoalCore

struct ClusterKeysTests {
    @Test func derivationIsDeterministicAndSeparatesRoles() {
        let secret = ClusterSecret(phrase: "cluster secret")
        let keys = ClusterKeys(secret: secret)
        #expect(keys == ClusterKeys(secret: secret))
        #expect(keys.curveServerSecretKey.count == 32)
        #expect(keys.curveClientSecretKey.count == 32)
        #expect(keys.curveServerSecretKey != keys.curveClientSecretKey)
        #expect(keys != ClusterKeys(secret: ClusterSecret(phrase: "cluster secreT")))
    }
}
