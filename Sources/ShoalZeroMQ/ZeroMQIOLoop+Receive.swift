import CZeroMQ
import ShoalCore
import ShoalPorts

/// Receiving on the I/O thread: decode the header, count and drop what is malformed,
/// hand the rest to the engine. At most `batchLimit` messages per socket per wake, so
/// one busy peer cannot starve the others.
extension ZeroMQIOLoop {
    static let batchLimit = 256

    /// ROUTER messages: routing id, header, payload.
    func receiveFromRouter() {
        receiveRouted(on: router) { route, envelope, payload in
            engine?.receive(fromClient: route, envelope: envelope, payload: payload)
        }
    }

    /// Bulk lane messages: routing id, header, sealed payload. Anyone may connect to the
    /// lane; what does not decode is dropped here, and the engine opens nothing it cannot
    /// authenticate.
    func receiveFromBulkLane(_ socket: UnsafeMutableRawPointer) {
        receiveRouted(on: socket) { _, envelope, payload in
            engine?.receive(bulk: envelope, payload: payload)
        }
    }

    /// Reads up to a batch of three-frame messages from a ROUTER; counts and drops the rest.
    private func receiveRouted(
        on socket: UnsafeMutableRawPointer, _ hand: (_ route: [UInt8], Envelope, _ payload: [UInt8]) -> Void
    ) {
        for _ in 0..<Self.batchLimit {
            guard let (frames, overflow) = ZeroMQSocket.receive(socket, using: message, maxFrames: 3) else { return }
            guard !overflow, frames.count == 3, let envelope = decode(frames[1]) else {
                counters.droppedMalformed.bump()
                continue
            }
            counters.messagesIn.bump()
            counters.bytesIn.bump(frames[2].count)
            hand(frames[0], envelope, frames[2])
        }
    }

    /// DEALER messages: header, payload.
    func receive(from link: PeerLink) {
        for _ in 0..<Self.batchLimit {
            guard let (frames, overflow) = ZeroMQSocket.receive(link.socket, using: message, maxFrames: 2) else { return }
            guard !overflow, frames.count == 2, let envelope = decode(frames[0]) else {
                counters.droppedMalformed.bump()
                continue
            }
            counters.messagesIn.bump()
            counters.bytesIn.bump(frames[1].count)
            engine?.receive(fromServer: link.address, envelope: envelope, payload: frames[1])
        }
    }

    private func decode(_ header: [UInt8]) -> Envelope? {
        try? Envelope(wireBytes: header)
    }

    /// Answers one ZAP request (RFC 27): only CURVE clients presenting the cluster's
    /// client public key get "200"; everyone else "400", counted as a rejected handshake.
    func serveZAP(_ zap: UnsafeMutableRawPointer) {
        for _ in 0..<Self.batchLimit {
            guard let (frames, _) = ZeroMQSocket.receive(zap, using: message, maxFrames: 8) else { return }
            guard frames.count >= 6 else { continue }
            let version = frames[0]
            let requestID = frames[1]
            let mechanism = String(decoding: frames[5], as: UTF8.self)
            let credentials = frames.count > 6 ? frames[6] : []
            let allowed = mechanism == "CURVE" && options.curve.map { credentials == $0.allowedClientPublic } == true
            if !allowed { counters.rejectedHandshakes.bump() }
            let reply: [[UInt8]] = [
                version, requestID,
                Array((allowed ? "200" : "400").utf8),
                Array((allowed ? "OK" : "not a member of this cluster").utf8),
                [], [],
            ]
            for (index, frame) in reply.enumerated() {
                let flags = index == reply.count - 1 ? 0 : ZMQ_SNDMORE
                _ = frame.withUnsafeBytes { zmq_send(zap, $0.baseAddress, $0.count, flags) }
            }
        }
    }
}
