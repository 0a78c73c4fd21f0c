/// The stable name of a node: chosen (or generated) once at first start and kept in the
/// node's data folder. 1 to 64 characters from `A-Z a-z 0-9 . _ -`.
public struct NodeID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init?(_ rawValue: String) {
        guard NodeID.isValid(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    public static func isValid(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard (1...64).contains(utf8.count) else { return false }
        return utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
    }

    public var description: String { rawValue }
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let value = NodeID(raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid node id \(raw)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension NodeID: WireCodable {
    public func encode(into writer: inout ByteWriter) { writer.writeString(rawValue) }
    public init(from reader: inout ByteReader) throws(WireError) {
        let raw = try reader.readString(field: "node id", limit: 64)
        guard let value = NodeID(raw) else { throw .invalidValue(field: "node id") }
        self = value
    }
}
