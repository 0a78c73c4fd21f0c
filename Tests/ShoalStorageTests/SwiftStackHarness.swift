import Foundation
import Logging
import ShoalCore
import ShoalPorts
import ShoalSimulation
import ShoalSwiftAPI
@testable import ShoalStorage

/// The whole Swift API stack of one node, in process: a ``StorageCluster`` (three nodes
/// serving the object, container and account roles), a ``ProxyServer`` on its own
/// ``InMemoryTransport``, and the full ``SwiftPipeline`` (gatekeeper, CORS, bulk, TempURL,
/// TempAuth, quotas, SLO/DLO, versioning) on top. Tests talk to it as a client would,
/// through ``send(_:_:headers:body:query:token:)``, which enters at `pipeline.entry`.
/// Build one with ``withSwiftStack(_:)``, which cleans up.
final class SwiftStack: Sendable {
    static let adminAccount = "AUTH_admin"

    let storage: StorageCluster
    let secret = ClusterSecret(phrase: "shoal swift stack test")
    let proxy: ProxyServer
    let pipeline: SwiftPipeline
    /// The proxy's clock: every call one tick later, so writes through the stack are ordered.
    let ticks = TickClock()
    private let proxyClient: BackendClient

    init(storage: StorageCluster) {
        self.storage = storage
        let logger = Logger(label: "shoal-swift-stack-test", factory: { _ in SwiftLogNoOpLogHandler() })
        proxyClient = BackendClient(
            transport: InMemoryTransport.attach(to: storage.network, at: ClusterAddress(host: "10.0.0.200", port: 6000)),
            timeout: .seconds(5))
        let ticks = self.ticks
        var configuration = ProxyServer.Configuration(cluster: storage.cluster, client: proxyClient,
                                                      pathHasher: storage.layout.hasher, now: { ticks.tick() })
        configuration.logger = logger
        proxy = ProxyServer(configuration: configuration)
        pipeline = SwiftPipeline(proxy: proxy, secret: secret, logger: logger)
    }

    func shutdown() async {
        await proxyClient.transport.shutdown()
    }

    /// Runs every node's object updater, then container updater, once: pending container
    /// updates land and account stats catch up (what the background loops do every few seconds).
    func settle() async {
        for node in storage.nodes { _ = await node.objectUpdater.runOnce() }
        for node in storage.nodes { _ = await node.containerUpdater.runOnce() }
    }

    // MARK: Auth

    var adminKey: String { Credentials(secret: secret).adminKey }

    /// Logs in as `account:user` with `key` (TempAuth's `/auth/v1.0`); the token, or nil on refusal.
    func login(_ user: String, key: String) async -> String? {
        let response = await pipeline.auth.authenticate(user: user, key: key, storageURLBase: "http://shoal.test")
        if let body = response.body { _ = try? await body.collect(upTo: 1 << 16) }
        return response.status == 200 ? response.headers["X-Auth-Token"] : nil
    }

    /// A token for `admin:admin`, the reseller admin.
    func adminToken() async -> String {
        guard let token = await login("admin:admin", key: adminKey) else { fatalError("the admin cannot log in") }
        return token
    }

    /// Creates `account:user` with `key` on behalf of the admin; the status of `putUser`.
    @discardableResult
    func createUser(account: String, user: String, key: String, admin: Bool = false, resellerAdmin: Bool = false) async -> Int {
        let requester = pipeline.auth.identity(token: await adminToken())
        let response = await pipeline.auth.putUser(account: account, user: user, key: key, admin: admin,
                                                   resellerAdmin: resellerAdmin, requester: requester)
        if let body = response.body { _ = try? await body.collect(upTo: 1 << 16) }
        return response.status
    }

    // MARK: Requests

    /// Sends `method path` (`/v1/account[/container[/object]]`, optionally with `?query`)
    /// through the whole pipeline and reads the answer. `token` goes in X-Auth-Token;
    /// a body gets its Content-Length unless `headers` names one or Transfer-Encoding.
    func send(_ method: String, _ path: String, headers: HeaderFields = HeaderFields(), body: [UInt8]? = nil,
              query: [String: String] = [:], token: String? = nil) async -> Reply {
        var request = Self.request(method, path, headers: headers, query: query)
        if let token { request.headers["X-Auth-Token"] = token }
        if let body {
            if request.headers["Content-Length"] == nil, request.headers["Transfer-Encoding"] == nil {
                request.headers["Content-Length"] = String(body.count)
            }
            request.body = .bytes(body, chunkSize: 5)
        }
        let response = await pipeline.entry.handle(request)
        let bytes: [UInt8]
        do { bytes = try await response.body?.collect(upTo: 64 << 20) ?? [] } catch { bytes = Array("<body failed: \(error)>".utf8) }
        return Reply(status: response.status, headers: response.headers, body: bytes)
    }

    func send(_ method: String, _ path: String, headers: HeaderFields = HeaderFields(), text: String,
              query: [String: String] = [:], token: String? = nil) async -> Reply {
        await send(method, path, headers: headers, body: Array(text.utf8), query: query, token: token)
    }

    /// The request a REST front end would build for `path` (percent escapes decoded).
    static func request(_ method: String, _ path: String, headers: HeaderFields, query: [String: String]) -> StorageRequest {
        var pathPart = Substring(path)
        var query = query
        if let mark = path.firstIndex(of: "?") {
            pathPart = path[..<mark]
            for pair in path[path.index(after: mark)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
                if query[name] == nil {
                    query[name] = parts.count > 1 ? String(parts[1]).removingPercentEncoding ?? String(parts[1]) : ""
                }
            }
        }
        precondition(pathPart.hasPrefix("/v1/"), "paths start with /v1/")
        let pieces = pathPart.dropFirst(4).split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
            .map { String($0).removingPercentEncoding ?? String($0) }
        return StorageRequest(method: method, account: pieces[0],
                              container: pieces.count > 1 && !pieces[1].isEmpty ? pieces[1] : nil,
                              object: pieces.count > 2 && !pieces[2].isEmpty ? pieces[2] : nil,
                              query: query, headers: headers)
    }

    // MARK: Shortcuts (as the admin)

    /// Creates container `name` in the admin's account; `#expect`-free so helpers can
    /// build fixtures, it returns the status.
    @discardableResult
    func createContainer(_ name: String, headers: HeaderFields = HeaderFields(), account: String = adminAccount) async -> Int {
        await send("PUT", "/v1/\(account)/\(name)", headers: headers, token: await adminToken()).status
    }

    @discardableResult
    func putObject(_ path: String, _ text: String, headers: HeaderFields = HeaderFields()) async -> Reply {
        await send("PUT", "/v1/\(Self.adminAccount)/\(path)", headers: headers, text: text, token: await adminToken())
    }

    func get(_ path: String, headers: HeaderFields = HeaderFields(), query: [String: String] = [:]) async -> Reply {
        await send("GET", "/v1/\(Self.adminAccount)/\(path)", headers: headers, query: query, token: await adminToken())
    }

    /// The names a container lists (plain-text listing), or nil when the listing failed.
    func listing(_ container: String, query: [String: String] = [:]) async -> [String]? {
        let reply = await get(container, query: query)
        guard reply.status == 200 || reply.status == 204 else { return nil }
        return reply.text.split(separator: "\n").map(String.init)
    }
}

/// A client's view of an answer: status, headers and the whole body.
struct Reply: Sendable, CustomStringConvertible {
    let status: Int
    let headers: HeaderFields
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body)) }
    var description: String { "\(status) \(headers) \(text.prefix(300))" }
}

/// Runs `body` with a started cluster and the Swift stack on it, cleaning up afterwards.
func withSwiftStack<T>(_ body: (SwiftStack) async throws -> T) async throws -> T {
    try await withStorageCluster { cluster in
        let stack = SwiftStack(storage: cluster)
        do {
            let result = try await body(stack)
            await stack.shutdown()
            return result
        } catch {
            await stack.shutdown()
            throw error
        }
    }
}

/// A ustar archive built in memory: regular files only, names up to 100 bytes.
struct TarBuilder {
    private(set) var bytes: [UInt8] = []

    mutating func add(_ name: String, _ contents: [UInt8]) {
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            let utf8 = Array(text.utf8)
            precondition(utf8.count <= width, "tar field too long")
            header.replaceSubrange(offset..<(offset + utf8.count), with: utf8)
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: width - 1 - digits.count) + digits
        }
        put(name, at: 0, width: 100)
        put(octal(0o644, width: 8), at: 100, width: 8)
        put(octal(0, width: 8), at: 108, width: 8)
        put(octal(0, width: 8), at: 116, width: 8)
        put(octal(contents.count, width: 12), at: 124, width: 12)
        put(octal(1_700_000_000, width: 12), at: 136, width: 12)
        put("0", at: 156, width: 1)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put(String(repeating: " ", count: 8), at: 148, width: 8)
        let checksum = header.reduce(0) { $0 + Int($1) }
        put(octal(checksum, width: 7), at: 148, width: 6)
        header[154] = 0
        bytes += header
        bytes += contents
        bytes += [UInt8](repeating: 0, count: (512 - contents.count % 512) % 512)
    }

    /// The archive with its two closing zero blocks.
    var archive: [UInt8] { bytes + [UInt8](repeating: 0, count: 1024) }
}
