/// The fixed header in front of every message between Shoal nodes.
///
/// On ZeroMQ a message is two frames: this header (``Envelope/encodedSize`` bytes) and the
/// payload. The header says what the payload is (``Kind``), which service it is for
/// (``Channel``), and ties requests to responses and chunks to streams.
///
/// Layout (big-endian): magic `0x5348` ("SH"), version, kind, channel, status,
/// correlation id (request or stream id), sequence (chunk index or credit count).
public struct Envelope: Equatable, Hashable, Sendable {
    public static let magic: UInt16 = 0x5348
    public static let currentVersion: UInt8 = 1
    public static let encodedSize = 20

    /// What the payload frame carries.
    public enum Kind: UInt8, Sendable, CaseIterable {
        /// Fire-and-forget (gossip): no answer is expected.
        case oneway = 1
        /// A request; the answer comes back as `.response` with the same correlation id.
        case request = 2
        case response = 3
        /// A chunk of a streamed body; `sequence` numbers chunks from 0.
        case streamChunk = 4
        /// The receiver grants `sequence` more chunks of credit for stream `correlationID`.
        case streamCredit = 5
        /// The last chunk has been sent; the payload may carry trailing metadata.
        case streamEnd = 6
        /// The stream is abandoned; the payload may carry a reason.
        case streamAbort = 7
    }

    /// Which service a message is for. Numbers are part of the wire format: never reuse one.
    public struct Channel: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        /// SWIM probes, acks, gossip and push-pull.
        public static let membership = Channel(rawValue: 1)
        /// Cluster administration: join, remove, status.
        public static let control = Channel(rawValue: 2)
        /// Diagnostics and benchmarks (echo).
        public static let echo = Channel(rawValue: 3)
        /// The transport's own requests (where a node's bulk lane listens); no service.
        public static let transport = Channel(rawValue: 4)
        /// Swift's backend requests to the account server role (``BackendRequestHead``).
        public static let account = Channel(rawValue: 10)
        /// Swift's backend requests to the container server role.
        public static let container = Channel(rawValue: 11)
        /// Swift's backend requests to the object server role.
        public static let object = Channel(rawValue: 12)
        /// Object replication between replicators (suffix hashes, listings, pushes).
        public static let objectReplication = Channel(rawValue: 13)

        public var description: String {
            switch self {
            case .membership: "membership"
            case .control: "control"
            case .echo: "echo"
            case .transport: "transport"
            case .account: "account"
            case .container: "container"
            case .object: "object"
            case .objectReplication: "object-replication"
            default: "channel-\(rawValue)"
            }
        }
    }

    /// Status of a `.response`: 0 is success; other values are service-defined errors.
    public struct Status: RawRepresentable, Hashable, Sendable {
        public let rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }
        public static let ok = Status(rawValue: 0)
        public static let badRequest = Status(rawValue: 400)
        public static let forbidden = Status(rawValue: 403)
        public static let notFound = Status(rawValue: 404)
        public static let conflict = Status(rawValue: 409)
        public static let internalError = Status(rawValue: 500)
        public static let unavailable = Status(rawValue: 503)
    }

    public var version: UInt8
    public var kind: Kind
    public var channel: Channel
    public var status: Status
    public var correlationID: UInt64
    public var sequence: UInt32

    public init(
        kind: Kind, channel: Channel, status: Status = .ok,
        correlationID: UInt64 = 0, sequence: UInt32 = 0, version: UInt8 = Envelope.currentVersion
    ) {
        self.version = version
        self.kind = kind
        self.channel = channel
        self.status = status
        self.correlationID = correlationID
        self.sequence = sequence
    }
}

extension Envelope: WireCodable {
    public func encode(into writer: inout ByteWriter) {
        writer.write(Envelope.magic)
        writer.write(version)
        writer.write(kind.rawValue)
        writer.write(channel.rawValue)
        writer.write(status.rawValue)
        writer.write(correlationID)
        writer.write(sequence)
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        guard try reader.readUInt16() == Envelope.magic else { throw .badMagic }
        let version = try reader.readUInt8()
        guard version == Envelope.currentVersion else { throw .unsupportedVersion(version) }
        let rawKind = try reader.readUInt8()
        guard let kind = Kind(rawValue: rawKind) else { throw .unknownTag(field: "envelope.kind", value: UInt64(rawKind)) }
        self.init(
            kind: kind,
            channel: Channel(rawValue: try reader.readUInt16()),
            status: Status(rawValue: try reader.readUInt16()),
            correlationID: try reader.readUInt64(),
            sequence: try reader.readUInt32(),
            version: version
        )
    }
}
