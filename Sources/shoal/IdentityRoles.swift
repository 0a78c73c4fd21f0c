import Foundation
import Logging
import ServiceLifecycle
import ShoalCore
import ShoalIdentity
import ShoalKeystoneAPI
import ShoalNode
import ShoalStorage

/// The Identity role of a node: the Identity v3 API over records kept through the proxy,
/// the bootstrap every node runs until it has succeeded once, and the two ways revocations
/// reach this node's list (shared with the object store's token checks): gossip, within
/// milliseconds, and a read of the stored events every ``catchUpInterval`` for what gossip
/// could not bring (the node was down or cut off, or started later).
struct IdentityRoles {
    /// The gossip topic revocations travel on.
    static let revocationTopic = "identity.revocation"
    static let catchUpInterval: Duration = .seconds(10)

    let api: IdentityAPI
    let services: [ServiceGroupConfiguration.ServiceConfiguration]

    init(proxy: ProxyServer, secret: ClusterSecret, revocations: RevocationList, membership: MembershipService,
         tokenLifetime: Int64) {
        let store = IdentityStore(backend: proxy)
        let logger = Logger(label: "shoal.identity")
        var configuration = IdentityAPI.Configuration()
        configuration.tokenLifetime = tokenLifetime
        api = IdentityAPI(store: store, secret: secret, revocations: revocations, configuration: configuration, logger: logger,
                          announce: { event, time in
                              let sent = await membership.broadcast(topic: Self.revocationTopic,
                                                                    id: RevocationList.announcement(event, at: time))
                              if !sent { logger.warning("revocation too large to gossip; nodes learn it from the store") }
                          })
        let heard = membership.broadcasts(topic: Self.revocationTopic)
        let sync = RevocationSync(store: store, revocations: revocations, logger: logger)
        services = [
            .init(service: BackgroundLoop(name: "identity-bootstrap") {
                // Until the cluster has enough devices for a quorum, this fails; try again.
                while !Task.isCancelled {
                    var random = SystemRandomNumberGenerator()
                    do {
                        try await Bootstrap.run(store: store, secret: secret, salt: (0..<16).map { _ in random.next() })
                        logger.info("identity bootstrap done")
                        break
                    } catch {
                        logger.debug("identity bootstrap not done yet", metadata: ["error": "\(error)"])
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
                // A service that returns would stop the node: wait for the shutdown.
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            }),
            .init(service: BackgroundLoop(name: "identity-revocation-gossip") {
                for await broadcast in heard {
                    guard let (event, time) = RevocationList.parseAnnouncement(broadcast.id) else { continue }
                    if revocations.record(event, at: time) {
                        logger.info("revocation heard", metadata: ["event": "\(event.key)"])
                    }
                }
            }),
            .init(service: BackgroundLoop(name: "identity-revocations") { await sync.run(every: Self.catchUpInterval) }),
        ]
    }
}
