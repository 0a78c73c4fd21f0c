import ShoalCore
import ShoalPorts

/// Cross-origin requests as Swift's proxy answers them, from container metadata:
/// `X-Container-Meta-Access-Control-Allow-Origin` (space-separated origins or `*`),
/// `-Max-Age` and `-Expose-Headers`. An `OPTIONS` preflight is answered here (200 when the
/// origin and method are allowed, else 401); other requests with an `Origin` get the
/// allow/expose headers on their answer when the container allows that origin.
public struct CORS: StorageHandler {
    static let allowedMethods = ["GET", "HEAD", "PUT", "POST", "DELETE", "COPY", "OPTIONS"]
    /// Headers a browser may always read (Swift's default `expose_headers`).
    static let defaultExposed = [
        "cache-control", "content-language", "content-type", "expires", "last-modified", "pragma", "etag",
        "x-timestamp", "x-trans-id", "x-openstack-request-id",
    ]

    let next: any StorageHandler
    let cache: InfoCache

    /// `cache` is the account and container metadata the pipeline's stages share.
    init(next: any StorageHandler, cache: InfoCache) {
        self.next = next
        self.cache = cache
    }

    public func handle(_ request: StorageRequest) async -> StorageResponse {
        if request.method == "OPTIONS" { return await preflight(request) }
        guard let origin = request.headers["Origin"], let container = request.container else { return await next.handle(request) }
        var response = await next.handle(request)
        let trusted = [TempAuth.authorizedBy: "cors"]
        let info = await cache.info(account: request.account, container: container, next: next, environment: trusted)
        guard (200..<300).contains(info.status), Self.allows(origin, rule: info.headers["X-Container-Meta-Access-Control-Allow-Origin"]) else {
            return response
        }
        let exposed = Self.defaultExposed + response.headers.fields.map { $0.name.lowercased() }.filter {
            $0.hasPrefix("x-object-meta-") || $0.hasPrefix("x-container-meta-")
        } + (info.headers["X-Container-Meta-Access-Control-Expose-Headers"]?.split(separator: " ").map { $0.lowercased() } ?? [])
        response.headers["Access-Control-Allow-Origin"] = info.headers["X-Container-Meta-Access-Control-Allow-Origin"] == "*" ? "*" : origin
        response.headers["Access-Control-Expose-Headers"] = Array(Set(exposed)).sorted().joined(separator: ", ")
        return response
    }

    func preflight(_ request: StorageRequest) async -> StorageResponse {
        guard let origin = request.headers["Origin"], let method = request.headers["Access-Control-Request-Method"] else {
            return StorageResponse(status: 200, headers: [
                "Allow": Self.allowedMethods.joined(separator: ", "), "Content-Length": "0", "Content-Type": "text/html; charset=UTF-8",
            ])
        }
        var rule: String?
        var maxAge: String?
        if let container = request.container {
            let info = await cache.info(account: request.account, container: container, next: next,
                                        environment: [TempAuth.authorizedBy: "cors"])
            if (200..<300).contains(info.status) {
                rule = info.headers["X-Container-Meta-Access-Control-Allow-Origin"]
                maxAge = info.headers["X-Container-Meta-Access-Control-Max-Age"]
            }
        }
        guard Self.allows(origin, rule: rule), Self.allowedMethods.contains(method.uppercased()) else {
            return StorageResponse(status: 401, headers: ["Content-Type": "text/plain; charset=UTF-8", "Content-Length": "0"])
        }
        var headers: HeaderFields = [
            "Access-Control-Allow-Origin": rule == "*" ? "*" : origin,
            "Access-Control-Allow-Methods": Self.allowedMethods.joined(separator: ", "),
            "Allow": Self.allowedMethods.joined(separator: ", "),
            "Content-Length": "0", "Content-Type": "text/html; charset=UTF-8",
        ]
        if let requested = request.headers["Access-Control-Request-Headers"] { headers["Access-Control-Allow-Headers"] = requested }
        if let maxAge { headers["Access-Control-Max-Age"] = maxAge }
        return StorageResponse(status: 200, headers: headers)
    }

    static func allows(_ origin: String, rule: String?) -> Bool {
        guard let rule else { return false }
        let allowed = rule.split(separator: " ").map(String.init)
        return allowed.contains("*") || allowed.contains(origin)
    }
}
