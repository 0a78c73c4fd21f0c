import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import ShoalNode

/// `shoal status`: members, ring and balance as one node sees them (from its `/cluster`).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show members, ring version and checksum, and device balance.")

    @Option(help: "REST URL of any node.")
    var url: String = ProcessInfo.processInfo.environment["SHOAL_URL"] ?? "http://127.0.0.1:8080"

    @Flag(help: "Print the raw JSON.")
    var json = false

    func run() async throws {
        let target = url.hasSuffix("/") ? url + "cluster" : url + "/cluster"
        let body: ByteBuffer
        do {
            let request = HTTPClientRequest(url: target)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            guard response.status == .ok else { throw ValidationError("\(target) answered \(response.status)") }
            body = try await response.body.collect(upTo: 16 << 20)
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("cannot reach \(target): \(error)")
        }
        if json {
            print(String(buffer: body))
            return
        }
        let status = try JSONDecoder().decode(ClusterStatus.self, from: Data(buffer: body))
        print(StatusTable.render(status), terminator: "")
    }
}
