/// The head of a request from a proxy to an account, container or object server on
/// another node (or this one): Swift's backend HTTP request, carried as a transport
/// request head on the ``Envelope/Channel/account``, ``Envelope/Channel/container`` or
/// ``Envelope/Channel/object`` channel. A body, if any, streams behind it in chunks.
///
/// `device` and `partition` say where on the receiving node the replica lives: a proxy
/// computes both from the ring, so a handoff device takes a write the same way a primary
/// does.
public struct BackendRequestHead: Hashable, Sendable {
    public var method: String
    public var device: DeviceID
    public var partition: Int
    public var account: String
    public var container: String?
    public var object: String?
    /// Query parameters (listing options, `multipart-manifest`, ...), by name.
    public var query: [String: String]
    public var headers: HeaderFields

    public init(method: String, device: DeviceID, partition: Int, account: String, container: String? = nil,
                object: String? = nil, query: [String: String] = [:], headers: HeaderFields = HeaderFields()) {
        self.method = method
        self.device = device
        self.partition = partition
        self.account = account
        self.container = container
        self.object = object
        self.query = query
        self.headers = headers
    }

    /// `/device/partition/account[/container[/object]]`, as Swift's servers log it.
    public var path: String {
        var path = "/\(device)/\(partition)/\(account)"
        if let container { path += "/\(container)" }
        if let object { path += "/\(object)" }
        return path
    }
}

extension BackendRequestHead: WireCodable {
    public static let wireVersion: UInt8 = 1
    public static let maximumMethodBytes = 16
    public static let maximumQueryItems = 64

    public func encode(into writer: inout ByteWriter) {
        writer.write(Self.wireVersion)
        writer.writeString(method)
        writer.writeString(device.rawValue)
        writer.writeVarint(UInt64(max(0, partition)))
        writer.writeString(account)
        writer.write(container != nil)
        if let container { writer.writeString(container) }
        writer.write(object != nil)
        if let object { writer.writeString(object) }
        writer.writeVarint(query.count)
        for (name, value) in query.sorted(by: { $0.key < $1.key }) {
            writer.writeString(name)
            writer.writeString(value)
        }
        headers.encode(into: &writer)
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let version = try reader.readUInt8()
        guard version == Self.wireVersion else { throw .unsupportedVersion(version) }
        let method = try reader.readString(field: "method", limit: Self.maximumMethodBytes)
        guard !method.isEmpty else { throw .invalidValue(field: "method") }
        guard let device = DeviceID(try reader.readString(field: "device", limit: 64)) else {
            throw .invalidValue(field: "device")
        }
        let partition = try reader.readVarint(field: "partition")
        guard partition <= UInt64(UInt32.max) else { throw .lengthOutOfRange(field: "partition", value: partition) }
        let account = try reader.readString(field: "account", limit: ObjectMetadataLimits.maximumAccountNameBytes)
        let container = try reader.readBool(field: "has container")
            ? try reader.readString(field: "container", limit: ObjectMetadataLimits.maximumContainerNameBytes) : nil
        let object = try reader.readBool(field: "has object")
            ? try reader.readString(field: "object", limit: ObjectMetadataLimits.maximumObjectNameBytes) : nil
        let queryCount = try reader.readItemCount(field: "query count", minimumItemBytes: 2, limit: Self.maximumQueryItems)
        var query: [String: String] = [:]
        for _ in 0..<queryCount {
            let name = try reader.readString(field: "query name", limit: HeaderFields.maximumNameBytes)
            query[name] = try reader.readString(field: "query value", limit: HeaderFields.maximumValueBytes)
        }
        let headers = try HeaderFields(from: &reader)
        self.init(method: method, device: device, partition: Int(partition), account: account, container: container,
                  object: object, query: query, headers: headers)
    }
}

/// The head of a backend server's answer: an HTTP status and headers (the body streams behind).
public struct BackendResponseHead: Hashable, Sendable {
    public var status: Int
    public var headers: HeaderFields

    public init(status: Int, headers: HeaderFields = HeaderFields()) {
        self.status = status
        self.headers = headers
    }

    public var isSuccess: Bool { (200..<300).contains(status) }
}

extension BackendResponseHead: WireCodable {
    public static let wireVersion: UInt8 = 1

    public func encode(into writer: inout ByteWriter) {
        writer.write(Self.wireVersion)
        writer.write(UInt16(clamping: status))
        headers.encode(into: &writer)
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let version = try reader.readUInt8()
        guard version == Self.wireVersion else { throw .unsupportedVersion(version) }
        let status = try reader.readUInt16()
        guard (100...599).contains(status) else { throw .invalidValue(field: "status") }
        self.init(status: Int(status), headers: try HeaderFields(from: &reader))
    }
}
