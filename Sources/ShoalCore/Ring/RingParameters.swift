/// The shape of a cluster's ring, fixed when the cluster is created: `2^partPower`
/// partitions, each stored on `replicas` devices.
public struct RingParameters: Hashable, Sendable, Codable, CustomStringConvertible {
    public static let partPowerRange = 1...20
    public static let replicaRange = 1...6
    public static let `default` = RingParameters(validPartPower: 16, replicas: 3)

    public let partPower: Int
    public let replicas: Int

    /// Nil when either number is out of range.
    public init?(partPower: Int, replicas: Int) {
        guard RingParameters.partPowerRange.contains(partPower), RingParameters.replicaRange.contains(replicas) else {
            return nil
        }
        self.partPower = partPower
        self.replicas = replicas
    }

    private init(validPartPower: Int, replicas: Int) {
        self.partPower = validPartPower
        self.replicas = replicas
    }

    public var partitionCount: Int { 1 << partPower }
    public var description: String { "2^\(partPower) partitions × \(replicas) replicas" }
}

extension RingParameters: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        writer.write(UInt8(partPower))
        writer.write(UInt8(replicas))
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let partPower = Int(try reader.readUInt8())
        let replicas = Int(try reader.readUInt8())
        guard let value = RingParameters(partPower: partPower, replicas: replicas) else {
            throw .invalidValue(field: "ring parameters")
        }
        self = value
    }
}
