import Foundation
import ShoalCore

/// Where the container and account roles keep their databases on a device, as OpenStack
/// Swift lays them out: `<device>/containers/<partition>/<suffix>/<hash>/<hash>.db` (and
/// `accounts/...`), `hash` the salted path hash of the account (and container). Used by the
/// servers, their updaters and replicators.
public struct StorageLayout: Sendable {
    public let hasher: PathHasher
    public let partPower: Int

    public init(hasher: PathHasher, partPower: Int) {
        self.hasher = hasher
        self.partPower = partPower
    }

    public static let containerFolder = "containers"
    public static let accountFolder = "accounts"

    /// The hash (hex) of `/account[/container]`.
    public func hash(account: String, container: String? = nil) -> String {
        Hex.encode(hasher.digest(account: account, container: container))
    }

    /// The ring partition of `/account[/container]`.
    public func partition(account: String, container: String? = nil) -> Int {
        hasher.partition(account: account, container: container, partPower: partPower)
    }

    public func containerDatabase(devicePath: String, partition: Int, account: String, container: String) -> String {
        Self.databasePath(devicePath: devicePath, folder: Self.containerFolder, partition: partition,
                          hash: hash(account: account, container: container))
    }

    public func accountDatabase(devicePath: String, partition: Int, account: String) -> String {
        Self.databasePath(devicePath: devicePath, folder: Self.accountFolder, partition: partition,
                          hash: hash(account: account))
    }

    static func databasePath(devicePath: String, folder: String, partition: Int, hash: String) -> String {
        "\(devicePath)/\(folder)/\(partition)/\(hash.suffix(3))/\(hash)/\(hash).db"
    }

    /// Every `.db` file under `folder` (a device's `containers` or `accounts`), in a stable
    /// order: what the updaters and replicators walk.
    static func databases(under folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var paths: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative.hasSuffix(".db") { paths.append(folder + "/" + relative) }
        }
        return paths.sorted()
    }
}
