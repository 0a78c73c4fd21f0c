/// HTTP-style header fields: ordered, names compared without regard to ASCII case, a name
/// may repeat. What storage requests and responses carry between the REST layer, the
/// proxy and the account, container and object servers (Swift's backend headers such as
/// `X-Timestamp` and `X-Backend-Timestamp` included).
public struct HeaderFields: Hashable, Sendable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public struct Field: Hashable, Sendable {
        public let name: String
        public let value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var fields: [Field] = []

    public init() {}

    public init(_ pairs: [(String, String)]) {
        for (name, value) in pairs { add(name, value) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// The first value of `name`; setting replaces every value of `name` (nil removes them).
    public subscript(name: String) -> String? {
        get { fields.first { Self.same($0.name, name) }?.value }
        set {
            remove(name)
            if let newValue { add(name, newValue) }
        }
    }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.filter { Self.same($0.name, name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { fields.contains { Self.same($0.name, name) } }

    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { Self.same($0.name, name) }
    }

    /// Adds every field of `other`, replacing fields of the same names.
    public mutating func merge(_ other: HeaderFields) {
        for name in Set(other.fields.map { $0.name.lowercased() }) { remove(name) }
        fields.append(contentsOf: other.fields)
    }

    /// Fields whose lowercased name starts with `prefix` (lowercase).
    public func withPrefix(_ prefix: String) -> [Field] {
        fields.filter { Self.name($0.name, hasPrefix: prefix) }
    }

    /// These fields without those whose lowercased name starts with one of `prefixes`
    /// (lowercase); the same fields, not a copy, when none does (the usual case).
    public func removingPrefixes(_ prefixes: [String]) -> HeaderFields {
        let matches = { (field: Field) in prefixes.contains { Self.name(field.name, hasPrefix: $0) } }
        guard fields.contains(where: matches) else { return self }
        var kept = self
        kept.fields.removeAll(where: matches)
        return kept
    }

    /// Whether `name`, lowercased, starts with `prefix` (lowercase), compared in place.
    static func name(_ name: String, hasPrefix prefix: String) -> Bool {
        name.utf8.count >= prefix.utf8.count && zip(name.utf8, prefix.utf8).allSatisfy { lowercase($0) == $1 }
    }

    /// Only the fields named in `names`.
    public func filtered(keeping names: [String]) -> HeaderFields {
        var kept = HeaderFields()
        kept.fields = fields.filter { field in names.contains { Self.same($0, field.name) } }
        return kept
    }

    /// The value of `name` as a non-negative integer, or nil when absent or not one.
    public func integer(_ name: String) -> Int? {
        guard let text = self[name]?.trimmingWhitespace(), let value = Int(text), value >= 0 else { return nil }
        return value
    }

    public var description: String { fields.map { "\($0.name): \($0.value)" }.joined(separator: ", ") }

    /// Equal names but for ASCII case (names are HTTP tokens), compared in place: a lookup
    /// runs for every header of every request, and lowercasing copied both strings.
    static func same(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8) { lowercase($0) == lowercase($1) }
    }

    private static func lowercase(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}

extension HeaderFields: WireCodable {
    /// At most this many fields and bytes per name and value (Swift's 8 KiB header limit
    /// bounds what a client can send; backends add a handful).
    public static let maximumFields = 512
    public static let maximumNameBytes = 1_024
    public static let maximumValueBytes = 16_384

    public func encode(into writer: inout ByteWriter) {
        writer.writeVarint(fields.count)
        for field in fields {
            writer.writeString(field.name)
            writer.writeString(field.value)
        }
    }

    public init(from reader: inout ByteReader) throws(WireError) {
        let count = try reader.readItemCount(field: "header count", minimumItemBytes: 2, limit: Self.maximumFields)
        var fields: [Field] = []
        fields.reserveCapacity(count)
        for _ in 0..<count {
            let name = try reader.readString(field: "header name", limit: Self.maximumNameBytes)
            guard !name.isEmpty else { throw .invalidValue(field: "header name") }
            let value = try reader.readString(field: "header value", limit: Self.maximumValueBytes)
            fields.append(Field(name: name, value: value))
        }
        self.fields = fields
    }
}
