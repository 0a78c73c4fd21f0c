/// The row an object write asks the container role to change: a PUT adds or replaces a
/// listing entry, a DELETE removes it. Sent after every object PUT or DELETE; kept on local
/// disk as an async pending when the container could not be reached, and resent by the
/// updater. (Swift's `X-Container-*` update headers.)
public struct ContainerUpdate: Hashable, Sendable {
    public enum Operation: UInt8, Sendable {
        case put = 1
        case delete = 2
    }

    public var operation: Operation
    public var account: String
    public var container: String
    public var object: String
    public var timestamp: SwiftTimestamp
    public var sizeBytes: Int
    public var contentType: String
    public var etag: String

    public init(operation: Operation, account: String, container: String, object: String, timestamp: SwiftTimestamp,
                sizeBytes: Int = 0, contentType: String = "", etag: String = "") {
        self.operation = operation
        self.account = account
        self.container = container
        self.object = object
        self.timestamp = timestamp
        self.sizeBytes = sizeBytes
        self.contentType = contentType
        self.etag = etag
    }
}

extension ContainerUpdate: WireCodable {
    public static let wireVersion: UInt8 = 1

    public func encode(into writer: inout ByteWriter) {
        writer.write(ContainerUpdate.wireVersion)
        writer.write(operation.rawValue)
        writer.writeString(account)
        writer.writeString(container)
        writer.writeString(object)
        timestamp.encode(into: &writer)
        writer.writeVarint(UInt64(max(0, sizeBytes)))
        writer.writeString(contentType)
        writer.writeString(etag)
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let version = try reader.readUInt8()
        guard version == ContainerUpdate.wireVersion else { throw .unsupportedVersion(version) }
        let tag = try reader.readUInt8()
        guard let operation = Operation(rawValue: tag) else { throw .unknownTag(field: "operation", value: UInt64(tag)) }
        let account = try reader.readString(field: "account", limit: ObjectMetadataLimits.maximumAccountNameBytes)
        let container = try reader.readString(field: "container", limit: ObjectMetadataLimits.maximumContainerNameBytes)
        let object = try reader.readString(field: "object", limit: ObjectMetadataLimits.maximumObjectNameBytes)
        let timestamp = try SwiftTimestamp(from: &reader)
        let size = try reader.readVarint(field: "sizeBytes")
        guard size <= UInt64(Int64.max) else { throw .lengthOutOfRange(field: "sizeBytes", value: size) }
        let contentType = try reader.readString(field: "contentType", limit: ObjectMetadataLimits.maximumContentTypeBytes)
        let etag = try reader.readString(field: "etag", limit: ObjectMetadataLimits.maximumETagBytes)
        self.init(operation: operation, account: account, container: container, object: object, timestamp: timestamp,
                  sizeBytes: Int(size), contentType: contentType, etag: etag)
    }
}

/// Several object rows for one container replica in one backend request: an object server
/// sends the updates that waited while one was on its way together (the container server
/// applies them in one transaction). A count, then each ``ContainerUpdate``.
public enum ContainerUpdateBatch {
    /// The backend method that carries a batch (the body) to `/device/partition/a/c`.
    public static let method = "UPDATE_ROWS"
    public static let maximumCount = 4_096

    public static func encode(_ updates: [ContainerUpdate]) -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: 16 + updates.count * 160)
        writer.writeVarint(updates.count)
        for update in updates { update.encode(into: &writer) }
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(WireError) -> [ContainerUpdate] {
        var reader = ByteReader(bytes)
        let count = try reader.readItemCount(field: "updates", minimumItemBytes: 8, limit: maximumCount)
        var updates: [ContainerUpdate] = []
        updates.reserveCapacity(count)
        for _ in 0..<count { updates.append(try ContainerUpdate(from: &reader)) }
        try reader.expectEnd()
        return updates
    }
}
