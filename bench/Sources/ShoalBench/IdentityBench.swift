import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// `shoal-bench identity`: the Identity API of a running cluster at a fixed concurrency,
/// requests spread over every node: token validations (`GET /identity/v3/auth/tokens`),
/// authenticated object-store requests carrying an Identity token (`HEAD` of the project's
/// account), and password logins. Credentials from the OS_* variables of
/// cluster/run/openrc.
struct IdentityBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity", abstract: "Token validations/s, token-authenticated requests/s and password logins/s.")

    @Option(help: "Requests in flight.") var concurrency = 8
    @Option(help: "Validations and account HEADs to send.") var count = 4_000
    @Option(help: "Password logins to send.") var logins = 200
    @Option(help: "Node base URLs, space-separated (default: SHOAL_NODE_URLS, else OS_AUTH_URL's node).")
    var urls: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let authURL = environment["OS_AUTH_URL"], let user = environment["OS_USERNAME"],
              let password = environment["OS_PASSWORD"], let project = environment["OS_PROJECT_NAME"] else {
            throw ValidationError("set OS_AUTH_URL, OS_USERNAME, OS_PASSWORD and OS_PROJECT_NAME (source cluster/run/openrc)")
        }
        let nodes = (urls ?? environment["SHOAL_NODE_URLS"] ?? authURL.replacingOccurrences(of: "/identity/v3", with: ""))
            .split(separator: " ").map(String.init)
        let login = Self.loginBody(user: user, password: password, project: project)
        try await SwiftSession.withClient(.init(connectionPool: .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency))) { client in
            let (token, projectID) = try await Self.login(client, url: nodes[0], body: login)
            print("identity: \(nodes.count) node(s), \(concurrency) in flight; \(count) validations and account HEADs, \(logins) logins")
            // The floor: the same client and nodes answering a request that does no work.
            let floor = await LoadPhase.run(count: count, concurrency: concurrency) { index in
                let request = HTTPClientRequest(url: nodes[index % nodes.count] + "/healthcheck")
                guard let response = try? await client.execute(request, timeout: .seconds(30)) else { return false }
                _ = try? await response.body.collect(upTo: 1 << 20)
                return response.status == .ok
            }
            print(floor.line("healthcheck"))
            let validate = await LoadPhase.run(count: count, concurrency: concurrency) { index in
                var request = HTTPClientRequest(url: nodes[index % nodes.count] + "/identity/v3/auth/tokens?nocatalog")
                request.headers.add(name: "X-Auth-Token", value: token)
                request.headers.add(name: "X-Subject-Token", value: token)
                guard let response = try? await client.execute(request, timeout: .seconds(30)) else { return false }
                _ = try? await response.body.collect(upTo: 1 << 20)
                return response.status == .ok
            }
            print(validate.line("validate"))
            let head = await LoadPhase.run(count: count, concurrency: concurrency) { index in
                var request = HTTPClientRequest(url: nodes[index % nodes.count] + "/v1/AUTH_" + projectID)
                request.method = .HEAD
                request.headers.add(name: "X-Auth-Token", value: token)
                guard let response = try? await client.execute(request, timeout: .seconds(30)) else { return false }
                return response.status == .noContent || response.status == .ok
            }
            print(head.line("HEAD acct"))
            let logging = await LoadPhase.run(count: logins, concurrency: concurrency) { index in
                guard let (_, _) = try? await Self.login(client, url: nodes[index % nodes.count], body: login) else { return false }
                return true
            }
            print(logging.line("login"))
        }
    }

    static func loginBody(user: String, password: String, project: String) -> ByteBuffer {
        let body: [String: Any] = ["auth": [
            "identity": ["methods": ["password"], "password": ["user": ["name": user, "domain": ["id": "default"], "password": password]]],
            "scope": ["project": ["name": project, "domain": ["id": "default"]]],
        ]]
        return ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: body))
    }

    /// A project-scoped token and its project id.
    static func login(_ client: HTTPClient, url: String, body: ByteBuffer) async throws -> (String, String) {
        var request = HTTPClientRequest(url: url + "/identity/v3/auth/tokens?nocatalog")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(body)
        let response = try await client.execute(request, timeout: .seconds(30))
        let data = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created, let token = response.headers.first(name: "X-Subject-Token"),
              let json = try JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any],
              let project = (json["token"] as? [String: Any])?["project"] as? [String: Any], let id = project["id"] as? String
        else { throw ValidationError("login to \(url) failed: \(response.status)") }
        return (token, id)
    }
}
