import Logging
import ShoalCore
import ShoalKeystoneAPI
import ShoalPorts

/// The Swift API stack every node serves, bottom to top as in Swift's `proxy-server.conf`:
/// proxy ← versioned writes ← SLO/DLO ← quotas ← TempAuth ← TempURL ← bulk ← CORS ← gatekeeper.
/// Requests enter at the top; a middleware's own subrequests go to the stage below it.
public struct SwiftPipeline: Sendable {
    /// Where HTTP requests enter.
    public let entry: any StorageHandler
    /// TempAuth, for `/auth/v1.0` and user management.
    public let auth: TempAuth

    /// `revocations`: the Identity tokens every node refuses (kept current by the identity service).
    public init(proxy: any StorageHandler, secret: ClusterSecret, revocations: RevocationList? = nil, logger: Logger) {
        // One metadata cache: a write's quota, versioning and CORS checks share their HEADs.
        let info = InfoCache()
        let versioning = Versioning(next: proxy, cache: info)
        // Segment subrequests pass TempAuth again, as the user who asked for the manifest.
        let segmentGate = TempAuth(next: versioning, secret: secret, revocations: revocations, logger: logger)
        let largeObjects = LargeObjects(next: versioning, segments: segmentGate)
        let quotas = Quotas(next: largeObjects, cache: info)
        let auth = TempAuth(next: quotas, secret: secret, revocations: revocations, logger: logger)
        let tempURL = TempURLMiddleware(next: auth)
        let bulk = Bulk(next: tempURL)
        entry = Gatekeeper(next: CORS(next: bulk, cache: info))
        self.auth = auth
    }
}
