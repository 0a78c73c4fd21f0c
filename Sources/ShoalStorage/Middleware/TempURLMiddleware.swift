import Foundation
import ShoalCore
import ShoalPorts
import ShoalSwiftAPI

/// Swift's `tempurl` middleware: a request whose query carries `temp_url_sig` and
/// `temp_url_expires` is authorized by the signature alone (keys from the account's and
/// the container's `Temp-URL-Key` metadata), with no token. Sits above TempAuth and marks
/// the requests it admits so TempAuth lets them through.
public struct TempURLMiddleware: StorageHandler {
    let next: any StorageHandler
    let now: @Sendable () -> Int64

    public init(next: any StorageHandler, now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.next = next
        self.now = now
    }

    public func handle(_ request: StorageRequest) async -> StorageResponse {
        guard let parsed = TempURL.parse(query: request.query) else { return await next.handle(request) }
        guard case .success(let url) = parsed, let container = request.container, request.object != nil,
              TempURL.methods.contains(request.method)
        else { return Self.invalid }
        let keys = await keys(account: request.account, container: container)
        guard case .success = url.verify(method: request.method, path: request.path, keys: keys, now: now()) else {
            return Self.invalid
        }
        var admitted = request
        admitted.environment[TempAuth.authorizedBy] = "tempurl"
        for name in ["X-Auth-Token", "X-Storage-Token"] { admitted.headers[name] = nil }
        for name in ["temp_url_sig", "temp_url_expires", "temp_url_prefix", "filename", "inline"] { admitted.query[name] = nil }
        var response = await next.handle(admitted)
        if request.method == "GET", response.isSuccess {
            let name = url.filename ?? String(request.object!.split(separator: "/").last ?? "")
            let quoted = name.replacingOccurrences(of: "\"", with: "\\\"")
            response.headers["Content-Disposition"] = url.inline ? "inline" : "attachment; filename=\"\(quoted)\""
        }
        return response
    }

    /// The account's and the container's keys (both `Temp-URL-Key` and `Temp-URL-Key-2`).
    func keys(account: String, container: String) async -> [String] {
        let trusted = [TempAuth.authorizedBy: "tempurl"]
        async let accountInfo = next.handle(StorageRequest(method: "HEAD", account: account, environment: trusted))
        async let containerInfo = next.handle(StorageRequest(method: "HEAD", account: account, container: container, environment: trusted))
        var keys: [String] = []
        let (a, c) = await (accountInfo, containerInfo)
        if a.isSuccess { keys += ["X-Account-Meta-Temp-URL-Key", "X-Account-Meta-Temp-URL-Key-2"].compactMap { a.headers[$0] } }
        if c.isSuccess { keys += ["X-Container-Meta-Temp-URL-Key", "X-Container-Meta-Temp-URL-Key-2"].compactMap { c.headers[$0] } }
        return keys
    }

    static var invalid: StorageResponse {
        let body = Array("401 Unauthorized: Temp URL invalid\n".utf8)
        return StorageResponse(status: 401, headers: [
            "Content-Type": "text/plain; charset=UTF-8", "Content-Length": String(body.count),
            "WWW-Authenticate": "Temp URL realm=\"tempurl\"",
        ], body: .bytes(body))
    }
}
