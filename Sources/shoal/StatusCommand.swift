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
        var status = try JSONDecoder().decode(ClusterStatus.self, from: try await Self.fetch(target))
        // Each member reports its own replication; a member that does not answer is left out.
        var replication: [ReplicationStatus] = []
        for member in status.members where member.status == "alive" && !member.restURL.isEmpty {
            let memberURL = member.restURL.hasSuffix("/") ? member.restURL : member.restURL + "/"
            if let data = try? await Self.fetch(memberURL + "cluster/replication"),
               let report = try? JSONDecoder().decode(ReplicationStatus.self, from: data) {
                replication.append(report)
            }
        }
        status.replication = replication
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(status), as: UTF8.self))
            return
        }
        print(StatusTable.render(status), terminator: "")
    }

    static func fetch(_ target: String) async throws -> Data {
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: target), timeout: .seconds(10))
            guard response.status == .ok else { throw ValidationError("\(target) answered \(response.status)") }
            return Data(buffer: try await response.body.collect(upTo: 16 << 20))
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError("cannot reach \(target): \(error)")
        }
    }
}
