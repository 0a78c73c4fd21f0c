import ArgumentParser
import AsyncHTTPClient
import NIOHTTP1
import Foundation
import ShoalCore
import ShoalIdentity
import ShoalSwiftAPI

/// `shoal credentials`: the cluster admin's TempAuth credentials, derived from the secret.
struct CredentialsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credentials",
        abstract: "Print the admin's credentials as shell exports: Swift's (ST_*) and the Identity API's (OS_*).")

    @Option(help: "REST URL of a node, for ST_AUTH.")
    var url: String = "http://127.0.0.1:8080"

    @Option(help: "File holding the cluster secret (default: <data-dir>/cluster.secret).")
    var secretFile: String?

    @Option(help: "Data folder whose secret to use.")
    var dataDir: String = "./shoal-data"

    func run() async throws {
        let secret = try ClusterSecretSource.load(file: secretFile, dataDirectory: dataDir)
        let credentials = Credentials(secret: secret)
        for line in SwiftCredentials.exports(url: url, user: "\(Credentials.adminAccount):\(Credentials.adminUser)",
                                             key: credentials.adminKey) { print(line) }
        for line in IdentityCredentials.exports(url: url, secret: secret) { print(line) }
    }
}

/// A TempAuth user's `swift` CLI settings. `ST_AUTH_VERSION` keeps python-swiftclient on
/// TempAuth when the identity exports below are set too: it otherwise takes its auth version
/// from `OS_IDENTITY_API_VERSION` and asks `ST_AUTH` for Keystone v3 tokens.
enum SwiftCredentials {
    static func exports(url: String, user: String, key: String) -> [String] {
        [
            "export ST_AUTH=\(url)/auth/v1.0",
            "export ST_AUTH_VERSION=1.0",
            "export ST_USER=\(user)",
            "export ST_KEY=\(key)",
        ]
    }
}

/// The bootstrap admin's `openstack` CLI settings, for any node's URL.
enum IdentityCredentials {
    static func exports(url: String, secret: ClusterSecret) -> [String] {
        [
            "export OS_AUTH_URL=\(url)/identity/v3",
            "export OS_IDENTITY_API_VERSION=3",
            "export OS_USERNAME=\(Bootstrap.adminUser)",
            "export OS_PASSWORD=\(Bootstrap.adminPassword(secret: secret))",
            "export OS_PROJECT_NAME=\(Bootstrap.adminProject)",
            "export OS_USER_DOMAIN_NAME=Default",
            "export OS_PROJECT_DOMAIN_NAME=Default",
            "export OS_REGION_NAME=\(Bootstrap.region)",
        ]
    }
}

/// `shoal user add|remove ACCOUNT:USER`: manages TempAuth users, stored replicated in the
/// cluster. Authenticates as the cluster admin (from the secret) against a running node.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage Swift (TempAuth) users.",
        subcommands: [Add.self, Remove.self])

    struct Connection: ParsableArguments {
        @Option(help: "REST URL of a running node.")
        var url: String = "http://127.0.0.1:8080"

        @Option(help: "File holding the cluster secret (default: <data-dir>/cluster.secret).")
        var secretFile: String?

        @Option(help: "Data folder whose secret to use.")
        var dataDir: String = "./shoal-data"

        func send(method: HTTPMethod, path: String, headers: [(String, String)]) async throws -> Int {
            let secret = try ClusterSecretSource.load(file: secretFile, dataDirectory: dataDir)
            var request = HTTPClientRequest(url: url + path)
            request.method = method
            request.headers.add(name: "X-Auth-Admin-User", value: "\(Credentials.adminAccount):\(Credentials.adminUser)")
            request.headers.add(name: "X-Auth-Admin-Key", value: Credentials(secret: secret).adminKey)
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            return Int(response.status.code)
        }
    }

    static func split(_ text: String) throws -> (account: String, user: String) {
        guard let parts = Credentials.splitUser(text) else { throw ValidationError("expected ACCOUNT:USER, got \(text)") }
        return parts
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user (or replace its key).")

        @Argument(help: "ACCOUNT:USER (the user's storage account is AUTH_<ACCOUNT>).")
        var name: String

        @Option(help: "The user's key (default: a new random key, printed).")
        var key: String?

        @Flag(help: "Make the user an admin of its account (.admin).")
        var admin = false

        @Flag(help: "Make the user a reseller admin (every account).")
        var resellerAdmin = false

        @OptionGroup var connection: Connection

        func run() async throws {
            let (account, user) = try UserCommand.split(name)
            var random = SystemRandomNumberGenerator()
            let key = key ?? Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &random) })
            let status = try await connection.send(
                method: .PUT, path: "/auth/v2/\(UserCommand.escape(account))/\(UserCommand.escape(user))",
                headers: [("X-Auth-User-Key", key), ("X-Auth-User-Admin", admin ? "true" : "false"),
                          ("X-Auth-User-Reseller-Admin", resellerAdmin ? "true" : "false")])
            guard status == 201 else { throw ValidationError("the node answered \(status)") }
            print("user \(account):\(user) stored (storage account AUTH_\(account))")
            for line in SwiftCredentials.exports(url: connection.url, user: "\(account):\(user)", key: key) { print(line) }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a user.")

        @Argument(help: "ACCOUNT:USER")
        var name: String

        @OptionGroup var connection: Connection

        func run() async throws {
            let (account, user) = try UserCommand.split(name)
            let status = try await connection.send(
                method: .DELETE, path: "/auth/v2/\(UserCommand.escape(account))/\(UserCommand.escape(user))", headers: [])
            guard status == 204 else { throw ValidationError(status == 404 ? "no such user" : "the node answered \(status)") }
            print("user \(account):\(user) removed")
        }
    }
}
