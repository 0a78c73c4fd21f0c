/// The payload of a request or response that carries its whole body with its head: a small
/// object's PUT or GET is then one message between nodes instead of a head, a chunk and an
/// end (``Envelope/HeadFlags/inlineBody``).
///
/// Layout: the head's length (UInt32, big-endian), the head, then the body to the end.
public enum InlineBody {
    /// The bytes in front of the head.
    public static let lengthBytes = 4

    public static func encode(head: [UInt8], body: [UInt8]) -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: lengthBytes + head.count + body.count)
        writer.write(UInt32(head.count))
        writer.writeRaw(head)
        writer.writeRaw(body)
        return writer.bytes
    }

    /// Splits a payload into head and body; a head length past the payload's end is an error.
    public static func decode(_ payload: [UInt8]) throws(WireError) -> (head: [UInt8], body: [UInt8]) {
        var reader = ByteReader(payload)
        let length = Int(try reader.readUInt32())
        guard length <= payload.count - lengthBytes else {
            throw .lengthOutOfRange(field: "inline.head", value: UInt64(length))
        }
        let headEnd = lengthBytes + length
        return (Array(payload[lengthBytes..<headEnd]), Array(payload[headEnd...]))
    }
}
