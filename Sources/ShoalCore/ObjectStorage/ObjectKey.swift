/// Which object a store operation is about, on one device: its ring partition, its path
/// hash (the directory name) and its account, container and object names (kept in the
/// stored metadata, as Swift keeps `name`). Built by the object role from a request.
public struct ObjectKey: Hashable, Sendable, CustomStringConvertible {
    public let partition: Int
    public let hash: ObjectHash
    public let account: String
    public let container: String
    public let object: String

    /// Largest partition number a store accepts (a ring has at most 2^32 partitions).
    public static let maximumPartition = Int(UInt32.max)

    /// Nil when the partition is out of range or a name breaks Swift's length limits
    /// (account and container 256 bytes, object 1,024 bytes, none empty).
    public init?(partition: Int, hash: ObjectHash, account: String, container: String, object: String) {
        guard (0...ObjectKey.maximumPartition).contains(partition),
              (1...ObjectMetadataLimits.maximumAccountNameBytes).contains(account.utf8.count),
              (1...ObjectMetadataLimits.maximumContainerNameBytes).contains(container.utf8.count),
              (1...ObjectMetadataLimits.maximumObjectNameBytes).contains(object.utf8.count)
        else { return nil }
        self.partition = partition
        self.hash = hash
        self.account = account
        self.container = container
        self.object = object
    }

    /// The key of `/account/container/object` in a ring of `2^partPower` partitions.
    public init?(account: String, container: String, object: String, hasher: PathHasher, partPower: Int) {
        let digest = hasher.digest(account: account, container: container, object: object)
        guard let hash = ObjectHash(digest: digest) else { return nil }
        self.init(partition: PathHasher.partition(ofDigest: digest, partPower: partPower), hash: hash,
                  account: account, container: container, object: object)
    }

    /// `/account/container/object`.
    public var path: String { "/\(account)/\(container)/\(object)" }

    public var description: String { "\(partition)/\(hash.suffix)/\(hash.hex) \(path)" }
}
