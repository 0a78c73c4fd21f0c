import CZeroMQ

/// Thin, throwing wrappers over the libzmq calls the adapter makes when it sets sockets
/// up. Used by ``ZeroMQTransport``'s init and by ``ZeroMQIOLoop`` (which owns the sockets
/// afterwards); nothing here is thread-safe, like the sockets themselves.
enum ZeroMQSocket {
    /// A libzmq call failed; `errno` is zmq's error number.
    struct Failure: Error, CustomStringConvertible {
        let call: String
        let errno: Int32
        var description: String { "\(call): \(String(cString: zmq_strerror(errno)))" }
    }

    static func check(_ rc: Int32, _ call: @autoclosure () -> String) throws(Failure) {
        if rc != 0 { throw Failure(call: call(), errno: zmq_errno()) }
    }

    static func make(_ context: UnsafeMutableRawPointer, type: Int32) throws(Failure) -> UnsafeMutableRawPointer {
        guard let socket = zmq_socket(context, type) else { throw Failure(call: "zmq_socket", errno: zmq_errno()) }
        return socket
    }

    static func set(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ value: Int32) throws(Failure) {
        var value = value
        try check(zmq_setsockopt(socket, option, &value, MemoryLayout<Int32>.size), "zmq_setsockopt(\(option))")
    }

    static func set(_ socket: UnsafeMutableRawPointer, _ option: Int32, int64 value: Int64) throws(Failure) {
        var value = value
        try check(zmq_setsockopt(socket, option, &value, MemoryLayout<Int64>.size), "zmq_setsockopt(\(option))")
    }

    static func set(_ socket: UnsafeMutableRawPointer, _ option: Int32, bytes value: [UInt8]) throws(Failure) {
        let rc = value.withUnsafeBytes { zmq_setsockopt(socket, option, $0.baseAddress, $0.count) }
        try check(rc, "zmq_setsockopt(\(option))")
    }

    static func set(_ socket: UnsafeMutableRawPointer, _ option: Int32, string value: String) throws(Failure) {
        try set(socket, option, bytes: Array(value.utf8))
    }

    /// Options every Shoal socket gets: no lingering on close, bounded queues, quick
    /// reconnects, and a cap on message size so one peer cannot make us allocate at will.
    static func applyCommon(_ socket: UnsafeMutableRawPointer, ipv6: Bool, highWaterMark: Int32, maxMessageBytes: Int64) throws(Failure) {
        try set(socket, ZMQ_LINGER, 0)
        try set(socket, ZMQ_SNDHWM, highWaterMark)
        try set(socket, ZMQ_RCVHWM, highWaterMark)
        try set(socket, ZMQ_RECONNECT_IVL, 100)
        try set(socket, ZMQ_RECONNECT_IVL_MAX, 1000)
        try set(socket, ZMQ_MAXMSGSIZE, int64: maxMessageBytes)
        if ipv6 { try set(socket, ZMQ_IPV6, 1) }
    }

    /// The endpoint a socket actually bound (resolves port 0 to the ephemeral port).
    static func lastEndpoint(_ socket: UnsafeMutableRawPointer) throws(Failure) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        var size = buffer.count
        let rc = buffer.withUnsafeMutableBytes { zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, $0.baseAddress, &size) }
        try check(rc, "zmq_getsockopt(ZMQ_LAST_ENDPOINT)")
        let length = buffer.firstIndex(of: 0) ?? min(size, buffer.count)
        return String(decoding: buffer[..<length], as: UTF8.self)
    }

    /// Sends one message as frames `[routingID]`, header, payload without blocking.
    /// Returns 0 on success or zmq's errno (EAGAIN: peer not connected or at its HWM;
    /// EHOSTUNREACH: no such routing id on a ROUTER with ROUTER_MANDATORY).
    static func send(_ socket: UnsafeMutableRawPointer, routingID: [UInt8]?, header: [UInt8], payload: [UInt8]) -> Int32 {
        if let routingID {
            let rc = routingID.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, ZMQ_SNDMORE | ZMQ_DONTWAIT) }
            if rc < 0 { return zmq_errno() }
        }
        let headerRC = header.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, ZMQ_SNDMORE | ZMQ_DONTWAIT) }
        if headerRC < 0 { return zmq_errno() }
        let payloadRC = payload.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, ZMQ_DONTWAIT) }
        if payloadRC < 0 { return zmq_errno() }
        return 0
    }

    /// Reads every frame of the next message without blocking (nil when none is waiting).
    /// At most `maxFrames` are kept; `overflow` says more arrived (a malformed message).
    /// `message` is the caller's long-lived `zmq_msg_t` (zmq wants a stable address).
    static func receive(
        _ socket: UnsafeMutableRawPointer, using message: UnsafeMutablePointer<zmq_msg_t>, maxFrames: Int
    ) -> (frames: [[UInt8]], overflow: Bool)? {
        var frames: [[UInt8]] = []
        var overflow = false
        while true {
            zmq_msg_init(message)
            let rc = zmq_msg_recv(message, socket, frames.isEmpty ? ZMQ_DONTWAIT : 0)
            if rc < 0 {
                zmq_msg_close(message)
                return frames.isEmpty ? nil : (frames, true)
            }
            let size = zmq_msg_size(message)
            if frames.count < maxFrames {
                if size == 0 {
                    frames.append([])
                } else {
                    let data = UnsafeRawBufferPointer(start: zmq_msg_data(message), count: size)
                    frames.append(Array(data))
                }
            } else {
                overflow = true
            }
            let more = zmq_msg_more(message) != 0
            zmq_msg_close(message)
            if !more { return (frames, overflow) }
        }
    }
}
