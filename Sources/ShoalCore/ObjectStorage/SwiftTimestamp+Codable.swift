extension SwiftTimestamp: Codable {
    /// The internal form (`1700000000.12345_000000000000000a`) as a string, as Swift's own
    /// JSON (metadata, replication) carries timestamps.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(`internal`)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = SwiftTimestamp(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a Swift timestamp: \(text)")
        }
        self = value
    }
}
