import Foundation
import ShoalSwiftAPI
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing
@testable import ShoalNode
@testable import ShoalREST

/// A fixed cluster view, so route tests need no running membership.
struct FixedStatus: ClusterStatusProvider {
    let status: ClusterStatus
    func clusterStatus() async -> ClusterStatus { status }
}

@Suite("Node routes")
struct NodeRouterTests {
    static let status = ClusterStatus(
        node: "node1", secretFingerprint: "abcd0123",
        members: [.init(id: "node1", status: "alive", incarnation: 2, zone: "z1", clusterAddress: "127.0.0.1:7000",
                        restURL: "http://127.0.0.1:8080", resources: ["cpus": 2])],
        ring: .init(version: 3, checksum: String(repeating: "ab", count: 32), partPower: 8, replicas: 3,
                    devices: [.init(id: "node1-d0", node: "node1", zone: "z1", weight: 1, partitions: 256, balancePercent: 100)]))

    func makeApp() -> some ApplicationProtocol {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(descriptor: .init(namespace: "shoal", metricName: "test", unitName: "total", helpText: "a test counter")).increment()
        let context = RESTContext(status: FixedStatus(status: Self.status), metrics: registry,
                                  capabilities: ["shoal": ["version": "0.1.0"]])
        return Application(router: NodeRouter.build(context))
    }

    static func isTransactionID(_ value: String?) -> Bool {
        guard let value, value.hasPrefix("tx"), value.count == 2 + 21 + 1 + 10 else { return false }
        let body = value.dropFirst(2)
        return body.enumerated().allSatisfy { index, char in index == 21 ? char == "-" : char.isHexDigit }
    }

    @Test("healthcheck answers OK with OpenStack's transaction headers")
    func healthcheck() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/healthcheck", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "OK")
                let transID = response.headers[.init("X-Trans-Id")!]
                #expect(Self.isTransactionID(transID), "\(transID ?? "none")")
                #expect(response.headers[.init("X-Openstack-Request-Id")!] == transID)
                #expect(response.headers[.date]?.hasSuffix(" GMT") == true)
            }
        }
    }

    @Test("an unknown path is a 404 that still carries the transaction id")
    func notFound() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(Self.isTransactionID(response.headers[.init("X-Trans-Id")!]))
            }
        }
    }

    @Test("/cluster serves the membership view as JSON")
    func cluster() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/cluster", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let decoded = try JSONDecoder().decode(ClusterStatus.self, from: Data(buffer: response.body))
                #expect(decoded == Self.status)
                let raw = String(buffer: response.body)
                #expect(raw.contains("\"part_power\":8"))
                #expect(raw.contains("\"cluster_address\":\"127.0.0.1:7000\""))
            }
        }
    }

    @Test("/info lists the registered capabilities")
    func info() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/info", method: .get) { response in
                let object = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: [String: String]]
                #expect(object?["shoal"]?["version"] == "0.1.0")
            }
        }
    }

    @Test("/metrics is Prometheus text with the registry's metrics")
    func metrics() async throws {
        try await makeApp().test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                #expect(String(buffer: response.body).contains("shoal_test_total 1"))
            }
        }
    }
}

@Suite("HTTP dates and transaction ids")
struct HeaderFormatTests {
    @Test("RFC 7231 date")
    func date() {
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 784_111_777)) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    @Test("the Date header is formatted once a second and follows the clock")
    func dateHeader() {
        let second = Date(timeIntervalSince1970: 784_111_777)
        #expect(DateHeader.text(at: second) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(DateHeader.text(at: second.addingTimeInterval(0.9)) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(DateHeader.text(at: second.addingTimeInterval(1)) == "Sun, 06 Nov 1994 08:49:38 GMT")
        #expect(DateHeader.text(at: second) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(DateHeader.now() == HTTPDate.format(Date()) || DateHeader.now() == HTTPDate.format(Date()))
    }

    @Test("transaction ids end with the time in hex")
    func transactionID() {
        let id = TransactionID.make(now: Date(timeIntervalSince1970: 0x6543_2100))
        #expect(NodeRouterTests.isTransactionID(id))
        #expect(id.hasSuffix("-0065432100"))
        #expect(Set((0..<10_000).map { _ in TransactionID.make() }).count == 10_000)
        // The random part is not a visible count: neighbours differ in most of their digits.
        let neighbours = (0..<2).map { _ in Array(TransactionID.make().utf8.dropFirst(2).prefix(21)) }
        #expect(zip(neighbours[0], neighbours[1]).filter { $0 != $1 }.count >= 10)
    }
}
