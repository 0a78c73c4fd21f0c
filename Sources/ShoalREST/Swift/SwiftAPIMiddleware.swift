import Foundation
import Hummingbird
import ShoalCore
import ShoalPorts
import ShoalStorage
import ShoalSwiftAPI

/// What the Swift API needs from the node: the storage pipeline (TempAuth on top of the
/// middlewares on top of the proxy) and TempAuth itself for `/auth` requests.
public struct SwiftAPIContext: Sendable {
    public let pipeline: any StorageHandler
    public let auth: TempAuth
    public let constraints: SwiftConstraints
    /// `host:port` for storage URLs when a request names no host (HTTP/1.0 clients).
    public let defaultHost: String

    public init(pipeline: any StorageHandler, auth: TempAuth, constraints: SwiftConstraints = .default,
                defaultHost: String = "127.0.0.1:8080") {
        self.pipeline = pipeline
        self.auth = auth
        self.constraints = constraints
        self.defaultHost = defaultHost
    }
}

/// Serves OpenStack Swift's API on the node's HTTP port: `/auth/v1.0` (TempAuth),
/// `/auth/v2/<account>/<user>` (user management as swauth spells it) and `/v1/...`.
/// It works on the raw path (Swift's names may hold any UTF-8, `%2F` and `//`), so it sits
/// in front of the router rather than in it.
public struct SwiftAPIMiddleware<Context: RequestContext>: RouterMiddleware {
    let context: SwiftAPIContext

    public init(_ context: SwiftAPIContext) {
        self.context = context
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == "/auth/v1.0" || path == "/auth/v1.0/" || path == "/v1.0" {
            return await authenticate(request)
        }
        if path.hasPrefix("/auth/v2/") {
            return await manageUser(request, path: path)
        }
        if path.hasPrefix("/v1/") {
            return await serve(request, path: path)
        }
        return try await next(request, context)
    }

    private func authenticate(_ request: Request) async -> Response {
        guard request.method == .get || request.method == .head else { return HTTPBridge.response(.methodNotAllowed) }
        let headers = HTTPBridge.headers(request.headers)
        let response = await context.auth.authenticate(
            user: headers["X-Auth-User"] ?? headers["X-Storage-User"],
            key: headers["X-Auth-Key"] ?? headers["X-Storage-Pass"],
            storageURLBase: "http://" + (request.head.authority ?? context.defaultHost))
        return HTTPBridge.response(response, isHead: request.method == .head)
    }

    /// `PUT /auth/v2/<account>/<user>` with X-Auth-User-Key (and X-Auth-User-Admin /
    /// X-Auth-User-Reseller-Admin: true), or `DELETE`; authorized by X-Auth-Token, or by
    /// X-Auth-Admin-User / X-Auth-Admin-Key as swauth allows.
    private func manageUser(_ request: Request, path: String) async -> Response {
        let pieces = path.dropFirst("/auth/v2/".count).split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count == 2, let account = String(pieces[0]).removingPercentEncoding,
              let user = String(pieces[1]).removingPercentEncoding, !account.isEmpty, !user.isEmpty
        else { return HTTPBridge.response(.notFound) }
        let headers = HTTPBridge.headers(request.headers)
        var requester = context.auth.identity(token: headers["X-Auth-Token"])
        if requester == nil, let adminUser = headers["X-Auth-Admin-User"], let adminKey = headers["X-Auth-Admin-Key"] {
            let login = await context.auth.authenticate(user: adminUser, key: adminKey, storageURLBase: "")
            requester = context.auth.identity(token: login.headers["X-Auth-Token"])
        }
        let isTrue: (String?) -> Bool = { ["true", "yes", "1", "on"].contains(($0 ?? "").lowercased()) }
        let response: StorageResponse
        switch request.method {
        case .put:
            response = await context.auth.putUser(
                account: account, user: user, key: headers["X-Auth-User-Key"] ?? "",
                admin: isTrue(headers["X-Auth-User-Admin"]), resellerAdmin: isTrue(headers["X-Auth-User-Reseller-Admin"]),
                requester: requester)
        case .delete:
            response = await context.auth.deleteUser(account: account, user: user, requester: requester)
        default:
            return HTTPBridge.response(.methodNotAllowed)
        }
        return HTTPBridge.response(response, isHead: false)
    }

    private func serve(_ request: Request, path: String) async -> Response {
        let parsed: SwiftPath
        do {
            parsed = try SwiftPath.parse(path, constraints: context.constraints)
        } catch {
            return HTTPBridge.response(error)
        }
        var storage = StorageRequest(
            method: request.method.rawValue, account: parsed.account,
            query: HTTPBridge.query(request.uri.query), headers: HTTPBridge.headers(request.headers),
            body: HTTPBridge.body(of: request))
        switch parsed {
        case .account: break
        case .container(_, let container): storage.container = container
        case .object(_, let container, let object):
            storage.container = container
            storage.object = object
        }
        if let host = request.head.authority { storage.environment["shoal.host"] = host }
        let response = await context.pipeline.handle(storage)
        return HTTPBridge.response(response, isHead: request.method == .head)
    }
}
