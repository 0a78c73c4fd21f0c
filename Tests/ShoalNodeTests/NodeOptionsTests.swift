import Foundation
import ShoalCore
import Testing
@testable import ShoalNode

@Suite("Node options")
struct NodeOptionsTests {
    @Test("embedded defaults: loopback ports and ./shoal-data")
    func defaults() throws {
        let options = try OptionSources(flags: [:], environment: [:], file: nil).resolve()
        #expect(options.dataDirectory == "./shoal-data")
        #expect(options.restAddress.description == "127.0.0.1:8080")
        #expect(options.bindAddress.description == "127.0.0.1:7000")
        #expect(options.clusterAddress == options.bindAddress)
        #expect(options.ring == .default)
        #expect(options.join.isEmpty)
        #expect(options.fallocateReserve == .percent(1))
        #expect(options.auditFilesPerSecond == 20)
        #expect(options.bulkPort == 0)
        #expect(try OptionSources(flags: ["bulk_port": "7100"], environment: [:], file: nil).resolve().bulkPort == 7100)
        #expect(try OptionSources(flags: [:], environment: ["SHOAL_AUDIT_FILES_PER_SECOND": "500"], file: nil).resolve()
            .auditFilesPerSecond == 500)
    }

    @Test("fallocate_reserve takes Swift's forms")
    func reserve() throws {
        let file = try ConfigFile(parsing: "fallocate_reserve = 2.5%")
        #expect(try OptionSources(flags: [:], environment: [:], file: file).resolve().fallocateReserve == .percent(2.5))
        let bytes = try OptionSources(flags: [:], environment: ["SHOAL_FALLOCATE_RESERVE": "1048576"], file: file).resolve()
        #expect(bytes.fallocateReserve == .bytes(1 << 20))
        #expect(try OptionSources(flags: ["fallocate_reserve": "0"], environment: [:], file: nil).resolve().fallocateReserve.isDisabled)
    }

    @Test("flags beat the environment, which beats the file")
    func precedence() throws {
        let file = try ConfigFile(parsing: "zone = from-file\nrest = 127.0.0.1:9000\nweight = 3\n[node]\nreplicas = 2")
        let sources = OptionSources(
            flags: ["zone": "from-flag"],
            environment: ["SHOAL_ZONE": "from-env", "SHOAL_REST": "127.0.0.1:9100", "SHOAL_JOIN": "127.0.0.1:7000, [::1]:7001"],
            file: file)
        let options = try sources.resolve()
        #expect(options.zone == "from-flag")
        #expect(options.restAddress.port == 9100)
        #expect(options.weight == 3)
        #expect(options.ring.replicas == 2)
        #expect(options.join.map(\.description) == ["127.0.0.1:7000", "[::1]:7001"])
    }

    @Test("bad values name the option", arguments: [
        ("rest", "nowhere"), ("weight", "-1"), ("part_power", "40"), ("replicas", "x"), ("name", "a/b"),
        ("log_format", "xml"), ("log_level", "loud"), ("join", "a:1,b"), ("fallocate_reserve", "lots"),
        ("fallocate_reserve", "150%"), ("audit_files_per_second", "0"), ("bulk_port", "70000"), ("bulk_port", "-1"),
    ])
    func errors(key: String, value: String) {
        #expect(throws: OptionError.self) { try OptionSources(flags: [key: value], environment: [:], file: nil).resolve() }
        do {
            _ = try OptionSources(flags: [key: value], environment: [:], file: nil).resolve()
        } catch {
            #expect(error.key.hasPrefix(key.components(separatedBy: "_").first!))
        }
    }

    @Test("the secret comes from SHOAL_CLUSTER_SECRET")
    func secretFromEnvironment() throws {
        let options = try OptionSources(flags: [:], environment: ["SHOAL_CLUSTER_SECRET": "shoal1:00"], file: nil).resolve()
        #expect(options.secretText == "shoal1:00")
    }
}

@Suite("Data directory")
struct DataDirectoryTests {
    func temporaryDirectory() -> DataDirectory {
        DataDirectory(path: FileManager.default.temporaryDirectory.appendingPathComponent("shoal-test-\(UUID().uuidString)").path)
    }

    @Test("node record, secret, device set and peers survive a restart")
    func persistence() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        try directory.prepare()
        var random = SeededRandom(seed: 9)
        let secret = ClusterSecret.generate(using: &random)
        try directory.save(secret)
        let record = NodeRecord(nodeID: NodeID("node1")!, ring: .default, secretFingerprint: secret.fingerprint, createdAt: 1)
        try directory.save(record)
        var devices = DeviceSet()
        devices.join(DeviceSpec(id: DeviceID(node: record.nodeID, index: 0), node: record.nodeID, zone: "z1",
                                address: ClusterAddress(host: "127.0.0.1", port: 7000)), by: record.nodeID)
        try directory.save(devices)
        try directory.savePeers([ClusterAddress(host: "127.0.0.1", port: 7001)])

        let again = DataDirectory(path: directory.path)
        #expect(try again.loadSecret() == secret)
        #expect(try again.loadNodeRecord() == record)
        #expect(again.loadDeviceSet() == devices)
        #expect(again.loadPeers() == [ClusterAddress(host: "127.0.0.1", port: 7001)])
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.secretPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test("a second node cannot take a data folder that is in use")
    func lock() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        try directory.prepare()
        let held = try directory.lock()
        // flock locks belong to the open file description, so a second open in this process conflicts too.
        #expect(throws: DataDirectoryError.locked(path: directory.path + "/lock")) { try directory.lock() }
        held.release()
        try directory.lock().release()
    }

    @Test("a corrupt secret file is an error, a missing one is nil")
    func badSecret() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        try directory.prepare()
        #expect(try directory.loadSecret() == nil)
        try "garbage".write(toFile: directory.secretPath, atomically: true, encoding: .utf8)
        #expect(throws: DataDirectoryError.badSecret(path: directory.secretPath)) { try directory.loadSecret() }
    }
}
