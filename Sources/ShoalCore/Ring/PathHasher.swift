import Crypto

/// Maps an object-store path to its ring partition, as OpenStack Swift does:
/// MD5 of `prefix + "/account/container/object" + suffix`, top `partPower` bits of the
/// first four digest bytes. The prefix and suffix are secret per cluster, so clients
/// cannot aim many names at one partition.
public struct PathHasher: Hashable, Sendable {
    public let prefix: String
    public let suffix: String

    public init(prefix: String, suffix: String) {
        self.prefix = prefix
        self.suffix = suffix
    }

    /// The MD5 digest of the salted path.
    public func digest(account: String, container: String? = nil, object: String? = nil) -> [UInt8] {
        var path = "/" + account
        if let container {
            path += "/" + container
            if let object { path += "/" + object }
        }
        return Array(Insecure.MD5.hash(data: Array((prefix + path + suffix).utf8)))
    }

    /// The partition of a path in a ring of `2^partPower` partitions.
    public func partition(account: String, container: String? = nil, object: String? = nil, partPower: Int) -> Int {
        PathHasher.partition(ofDigest: digest(account: account, container: container, object: object), partPower: partPower)
    }

    /// Top `partPower` bits of the first four digest bytes, read big-endian.
    public static func partition(ofDigest digest: [UInt8], partPower: Int) -> Int {
        precondition(digest.count >= 4 && (0...32).contains(partPower))
        let top = UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3])
        return partPower == 0 ? 0 : Int(top >> UInt32(32 - partPower))
    }
}
