import Foundation
import Logging
import ServiceLifecycle
import ShoalCore
import ShoalIdentity
import ShoalKeystoneAPI
import ShoalStorage

/// The Identity role of a node: the Identity v3 API over records kept through the proxy,
/// the bootstrap every node runs until it has succeeded once, and the loop that keeps the
/// revocation list (shared with the object store's token checks) current.
struct IdentityRoles {
    let api: IdentityAPI
    let services: [ServiceGroupConfiguration.ServiceConfiguration]

    init(proxy: ProxyServer, secret: ClusterSecret, revocations: RevocationList) {
        let store = IdentityStore(backend: proxy)
        let logger = Logger(label: "shoal.identity")
        api = IdentityAPI(store: store, secret: secret, revocations: revocations, logger: logger)
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
            .init(service: BackgroundLoop(name: "identity-revocations") { await sync.run(every: .seconds(1)) }),
        ]
    }
}
