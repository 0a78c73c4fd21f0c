import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOHTTP1

/// The TempAuth credentials a Swift API benchmark logs in with (defaults: the `swift`
/// CLI's environment, ST_AUTH / ST_USER / ST_KEY).
struct SwiftCredentials: ParsableArguments {
    @Option(help: "Auth URL (TempAuth v1.0).") var auth = ProcessInfo.processInfo.environment["ST_AUTH"] ?? "http://127.0.0.1:8080/auth/v1.0"
    @Option(help: "account:user") var user = ProcessInfo.processInfo.environment["ST_USER"] ?? "admin:admin"
    @Option(help: "Key.") var key = ProcessInfo.processInfo.environment["ST_KEY"] ?? ""
}

/// A logged-in Swift API client: the token and storage URL `/auth/v1.0` answered.
struct SwiftSession {
    let client: HTTPClient
    let token: String
    let storageURL: String

    /// Runs `body` with a client made from `configuration`, shutting it down afterwards.
    /// Tracing is off: with the default no-op tracer the client still opened a span and
    /// built its attributes for every request, CPU the load generator takes from the
    /// servers it measures on the same cores.
    static func withClient(_ configuration: HTTPClient.Configuration = .init(),
                           _ body: (HTTPClient) async throws -> Void) async throws {
        var configuration = configuration
        configuration.tracing.tracer = nil
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    static func login(_ client: HTTPClient, _ credentials: SwiftCredentials) async throws -> SwiftSession {
        var login = HTTPClientRequest(url: credentials.auth)
        login.headers.add(name: "X-Auth-User", value: credentials.user)
        login.headers.add(name: "X-Auth-Key", value: credentials.key)
        let answer = try await client.execute(login, timeout: .seconds(30))
        // TempAuth answers 200, radosgw 204.
        guard answer.status.code / 100 == 2, let token = answer.headers.first(name: "X-Auth-Token"),
              let storage = answer.headers.first(name: "X-Storage-Url") else {
            throw ValidationError("authentication failed: \(answer.status)")
        }
        return SwiftSession(client: client, token: token, storageURL: storage)
    }

    /// Creates (or keeps) `container`; its URL.
    func createContainer(_ container: String) async throws -> String {
        let url = storageURL + "/" + container
        var create = HTTPClientRequest(url: url)
        create.method = .PUT
        create.headers.add(name: "X-Auth-Token", value: token)
        _ = try await client.execute(create, timeout: .seconds(30))
        return url
    }
}
