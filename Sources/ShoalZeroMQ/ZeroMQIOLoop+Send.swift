import CZeroMQ
import ShoalCore
import ShoalPorts

/// Sending on the I/O thread: DEALERs per peer (created lazily), the ROUTER for replies,
/// and the backlogs that hold messages while a peer connects or sits at its HWM.
extension ZeroMQIOLoop {
    func dispatch(_ message: OutboundMessage) {
        switch message.destination {
        case .peer(let address):
            send(message, toLinkAt: address, secure: true)
        case .bulk(let peer):
            // A peer's bulk lane: its host, the port it told us, no CURVE (each chunk is sealed).
            guard let port = bulkPorts.withLock({ $0[peer] }) else { return fail(message, .unreachable(peer)) }
            send(message, toLinkAt: ClusterAddress(host: peer.host, port: port), secure: false)
        case .route(let routingID):
            if !routerBacklog.isEmpty {
                guard routerBacklog.count < maxBacklog else { return fail(message, .closed) }
                routerBacklog.append(message)
                return
            }
            let error = transmit(message, on: router, routingID: routingID)
            if error == EAGAIN {
                routerBacklog.append(message)
                routerDeadline = .now + options.connectTimeout
            } else if error != 0 {
                fail(message, .closed)
            }
        }
    }

    /// Sends (or backlogs) `message` on the DEALER connected to `address`.
    private func send(_ message: OutboundMessage, toLinkAt address: ClusterAddress, secure: Bool) {
        guard let link = link(for: address, secure: secure) else {
            return fail(message, .unreachable(address))
        }
        if link.hasBacklog {
            // Bounded, so a slow peer cannot make us hold an unbounded queue for it.
            guard link.backlog.count - link.backlogHead < maxBacklog else {
                return fail(message, .unreachable(address))
            }
            link.backlog.append(message)
            if link.backlog.count - link.backlogHead >= maxBacklog / 2, !link.isCongested {
                link.isCongested = true
                _ = congestedPeers.withLock { $0.insert(address) }
            }
            return
        }
        let error = transmit(message, on: link.socket, routingID: nil)
        if error == 0 {
            if link.isDown { markUp(link) }
        } else if error == EAGAIN && !link.isDown {
            link.backlog.append(message)
            link.deadline = .now + options.connectTimeout
        } else {
            fail(message, .unreachable(address))
        }
    }

    /// Messages held for one peer (or for the ROUTER) beyond what libzmq queues itself.
    private var maxBacklog: Int { Int(options.highWaterMark) * 4 }

    /// Sends one message; returns 0 or zmq's errno.
    private func transmit(_ message: OutboundMessage, on socket: UnsafeMutableRawPointer, routingID: [UInt8]?) -> Int32 {
        let error = ZeroMQSocket.send(socket, routingID: routingID, header: message.envelope.wireBytes(), payload: message.payload)
        if error == 0 {
            counters.messagesOut.bump()
            counters.bytesOut.bump(message.payload.count)
        }
        return error
    }

    func fail(_ message: OutboundMessage, _ error: TransportError) {
        engine?.undeliverable(message.envelope, to: message.destination, error: error)
    }

    /// The DEALER for `address`, created and connected on first use; with CURVE unless it
    /// goes to a bulk lane (`secure` false).
    private func link(for address: ClusterAddress, secure: Bool) -> PeerLink? {
        if let link = links[address] { return link }
        do {
            let socket = try ZeroMQSocket.make(context, type: ZMQ_DEALER)
            do {
                try ZeroMQSocket.applyCommon(
                    socket, ipv6: address.isIPv6Literal,
                    highWaterMark: options.highWaterMark, maxMessageBytes: options.maxMessageBytes
                )
                try ZeroMQSocket.set(socket, ZMQ_IMMEDIATE, 1)
                if secure, let curve = options.curve {
                    try ZeroMQSocket.set(socket, ZMQ_CURVE_SERVERKEY, string: curve.serverPublic)
                    try ZeroMQSocket.set(socket, ZMQ_CURVE_PUBLICKEY, string: curve.clientPublic)
                    try ZeroMQSocket.set(socket, ZMQ_CURVE_SECRETKEY, string: curve.clientSecret)
                }
                try ZeroMQSocket.check(zmq_connect(socket, address.tcpEndpoint), "zmq_connect(\(address))")
            } catch {
                zmq_close(socket)
                return nil
            }
            let link = PeerLink(address: address, socket: socket)
            links[address] = link
            return link
        } catch {
            return nil
        }
    }

    /// The DEALER became writable: the peer is (again) connected; send what waited.
    func flush(_ link: PeerLink) {
        if link.isDown { markUp(link) }
        var progressed = false
        while link.hasBacklog {
            let message = link.backlog[link.backlogHead]
            let error = transmit(message, on: link.socket, routingID: nil)
            if error == EAGAIN {
                // The peer is slow, not gone: it took something, so give it a new grace period.
                if progressed { link.deadline = .now + options.connectTimeout }
                return
            }
            link.backlog[link.backlogHead] = OutboundMessage(envelope: message.envelope, payload: [], destination: message.destination)
            link.backlogHead += 1
            progressed = true
            if error != 0 { fail(message, .unreachable(link.address)) }
        }
        link.backlog.removeAll(keepingCapacity: true)
        link.backlogHead = 0
        link.deadline = nil
        clearCongestion(link)
    }

    private func clearCongestion(_ link: PeerLink) {
        guard link.isCongested else { return }
        link.isCongested = false
        _ = congestedPeers.withLock { $0.remove(link.address) }
    }

    private func markUp(_ link: PeerLink) {
        link.isDown = false
        _ = downPeers.withLock { $0.remove(link.address) }
    }

    /// Gives up on backlogs whose peer stayed unreachable past the connect timeout, and
    /// retries the ROUTER's backlog.
    func expireBacklogs() {
        let now = ContinuousClock.now
        for link in links.values where link.hasBacklog {
            guard let deadline = link.deadline, deadline <= now else { continue }
            let stranded = link.backlog[link.backlogHead...]
            link.backlog = []
            link.backlogHead = 0
            link.deadline = nil
            link.isDown = true
            _ = downPeers.withLock { $0.insert(link.address) }
            clearCongestion(link)
            for message in stranded { fail(message, .unreachable(link.address)) }
        }
        retryRouterBacklog(now: now)
    }

    private func retryRouterBacklog(now: ContinuousClock.Instant) {
        guard !routerBacklog.isEmpty else { return }
        var index = 0
        while index < routerBacklog.count {
            let message = routerBacklog[index]
            guard case .route(let routingID) = message.destination else { index += 1; continue }
            let error = transmit(message, on: router, routingID: routingID)
            if error == EAGAIN { break }
            if error != 0 { fail(message, .closed) }
            index += 1
        }
        routerBacklog.removeFirst(index)
        if index > 0 { routerDeadline = now + options.connectTimeout }
        if routerBacklog.isEmpty {
            routerDeadline = nil
        } else if let deadline = routerDeadline, deadline <= now {
            let stranded = routerBacklog
            routerBacklog = []
            routerDeadline = nil
            for message in stranded { fail(message, .closed) }
        }
    }
}
