/// A value with a Shoal binary encoding. Decoding reads untrusted bytes: it throws
/// ``WireError`` on anything malformed and never traps.
public protocol WireCodable: Sendable {
    func encode(into writer: inout ByteWriter)
    init(from reader: inout ByteReader) throws(WireError)
}

extension WireCodable {
    /// The value's bytes on their own.
    public func wireBytes() -> [UInt8] {
        var writer = ByteWriter()
        encode(into: &writer)
        return writer.bytes
    }

    /// Decodes a value that must use all of `bytes`.
    public init(wireBytes bytes: [UInt8]) throws(WireError) {
        var reader = ByteReader(bytes)
        self = try Self(from: &reader)
        try reader.expectEnd()
    }
}
