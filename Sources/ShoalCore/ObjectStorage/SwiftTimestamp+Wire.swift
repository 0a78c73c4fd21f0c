extension SwiftTimestamp: WireCodable {
    /// Ticks then offset, both as varints.
    public func encode(into writer: inout ByteWriter) {
        writer.writeVarint(UInt64(ticks))
        writer.writeVarint(offset)
    }

    /// Refuses ticks beyond Swift's ten integer digits instead of trapping.
    public init(from reader: inout ByteReader) throws(WireError) {
        let ticks = try reader.readVarint(field: "timestamp")
        guard ticks <= UInt64(SwiftTimestamp.maximumTicks) else { throw .lengthOutOfRange(field: "timestamp", value: ticks) }
        let offset = try reader.readVarint(field: "timestamp.offset")
        self.init(ticks: Int64(ticks), offset: offset)
    }
}
