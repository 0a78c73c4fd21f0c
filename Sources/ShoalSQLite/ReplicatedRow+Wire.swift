import ShoalCore

/// Rows in Shoal's binary encoding, as `REPLICATE` batches carry them between replicas
/// (`mergeItems`, the bulk of database replication): a JSON coder spent about 8 µs of CPU
/// per row each way, the largest item of a node's profile while a busy container replicated.
/// Strings are length-prefixed UTF-8 (bounded by the wire reader's default), integers fixed
/// 64-bit, timestamps as ``SwiftTimestamp`` encodes them.
extension ObjectRecord: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        writer.writeString(name)
        timestamp.encode(into: &writer)
        writer.write(size)
        writer.writeString(contentType)
        writer.writeString(etag)
        writer.write(deleted)
        writer.write(rowID)
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let name = try reader.readString(field: "name")
        let timestamp = try SwiftTimestamp(from: &reader)
        let size = try reader.readInt64()
        let contentType = try reader.readString(field: "contentType")
        let etag = try reader.readString(field: "etag")
        let deleted = try reader.readBool(field: "deleted")
        let rowID = try reader.readInt64()
        self.init(name: name, timestamp: timestamp, size: size, contentType: contentType, etag: etag, deleted: deleted,
                  rowID: rowID)
    }
}

extension ContainerRecord: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        writer.writeString(name)
        putTimestamp.encode(into: &writer)
        deleteTimestamp.encode(into: &writer)
        writer.write(objectCount)
        writer.write(bytesUsed)
        writer.write(deleted)
        writer.write(rowID)
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let name = try reader.readString(field: "name")
        let putTimestamp = try SwiftTimestamp(from: &reader)
        let deleteTimestamp = try SwiftTimestamp(from: &reader)
        let objectCount = try reader.readInt64()
        let bytesUsed = try reader.readInt64()
        let deleted = try reader.readBool(field: "deleted")
        let rowID = try reader.readInt64()
        self.init(name: name, putTimestamp: putTimestamp, deleteTimestamp: deleteTimestamp, objectCount: objectCount,
                  bytesUsed: bytesUsed, rowID: rowID)
        // As sent: the sender's broker decided it (JSON carried it the same way).
        self.deleted = deleted
    }
}
