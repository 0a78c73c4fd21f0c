import CZeroMQ
import ShoalCore

/// The CURVE keys one transport configures, in the Z85 text form libzmq takes, computed
/// from ``ClusterKeys`` (public keys via `zmq_curve_public`). Built by ``ZeroMQTransport``.
struct CurveKeys: Sendable {
    let serverSecret: String
    let serverPublic: String
    let clientSecret: String
    let clientPublic: String
    /// The only client public key the ZAP handler lets in (32 raw bytes).
    let allowedClientPublic: [UInt8]

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Keys for a node holding the cluster secret.
    init(_ keys: ClusterKeys) throws(Failure) {
        try self.init(server: keys, client: keys, allowedClient: keys)
    }

    /// Mixed keys, for tests of an intruder that knows the server key but not the client key.
    init(server: ClusterKeys, client: ClusterKeys, allowedClient: ClusterKeys) throws(Failure) {
        serverSecret = try Self.z85(server.curveServerSecretKey)
        serverPublic = try Self.publicKey(ofSecret: serverSecret)
        clientSecret = try Self.z85(client.curveClientSecretKey)
        clientPublic = try Self.publicKey(ofSecret: clientSecret)
        allowedClientPublic = try Self.decode(Self.publicKey(ofSecret: Self.z85(allowedClient.curveClientSecretKey)))
    }

    static func z85(_ bytes: [UInt8]) throws(Failure) -> String {
        guard bytes.count == 32 else { throw Failure(description: "a CURVE key is 32 bytes, not \(bytes.count)") }
        var text = [CChar](repeating: 0, count: 41)
        let ok = text.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { zmq_z85_encode(out.baseAddress, $0.baseAddress, 32) != nil }
        }
        guard ok else { throw Failure(description: "zmq_z85_encode failed") }
        return String(decoding: text.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func decode(_ z85: String) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 32)
        let ok = bytes.withUnsafeMutableBufferPointer { out in zmq_z85_decode(out.baseAddress, z85) != nil }
        guard ok else { throw Failure(description: "zmq_z85_decode failed") }
        return bytes
    }

    static func publicKey(ofSecret secret: String) throws(Failure) -> String {
        var text = [CChar](repeating: 0, count: 41)
        let rc = text.withUnsafeMutableBufferPointer { zmq_curve_public($0.baseAddress, secret) }
        guard rc == 0 else { throw Failure(description: "zmq_curve_public failed (is libzmq built with CURVE?)") }
        return String(decoding: text.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
