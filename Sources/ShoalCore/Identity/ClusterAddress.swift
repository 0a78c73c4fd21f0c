/// Where a node listens: a host (name, IPv4 or IPv6 literal) and a TCP port.
/// Written `host:port`, or `[v6]:port` for IPv6 literals.
public struct ClusterAddress: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let host: String
    public let port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` or `[v6]:port`; nil when malformed.
    public init?(_ text: String) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            let afterClose = text[text.index(after: close)...]
            guard afterClose.hasPrefix(":") else { return nil }
            portPart = afterClose.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.utf8.contains(UInt8(ascii: ":")) { return nil }
        }
        guard !hostPart.isEmpty, hostPart.utf8.count <= 255,
              !hostPart.contains(where: { $0 == " " || $0 == "/" || $0 == "\0" }),
              let port = UInt16(portPart), port != 0
        else { return nil }
        self.init(host: String(hostPart), port: port)
    }

    public var isIPv6Literal: Bool { host.utf8.contains(UInt8(ascii: ":")) }

    public var description: String { isIPv6Literal ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The ZeroMQ endpoint for this address.
    public var tcpEndpoint: String { "tcp://\(description)" }

    public static func < (lhs: ClusterAddress, rhs: ClusterAddress) -> Bool {
        (lhs.host, lhs.port) < (rhs.host, rhs.port)
    }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let value = ClusterAddress(raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid address \(raw)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension ClusterAddress: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        writer.writeString(host)
        writer.write(port)
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let host = try reader.readString(field: "address host", limit: 255)
        let port = try reader.readUInt16()
        guard !host.isEmpty, port != 0 else { throw .invalidValue(field: "address") }
        self.init(host: host, port: port)
    }
}
