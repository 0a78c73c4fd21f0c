/// Reads what ``ByteWriter`` wrote, checking every length against the input first.
///
/// Decoding untrusted bytes must never trap or allocate more than the input could hold,
/// so every read is bounds-checked and every count is compared with what remains.
public struct ByteReader: Sendable {
    @usableFromInline let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
    }

    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset >= bytes.count }

    @inline(__always)
    mutating func need(_ count: Int) throws(WireError) {
        if count > remaining { throw .truncated(needed: count, available: remaining) }
    }

    public mutating func readUInt8() throws(WireError) -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// A message's leading format-version byte, refused unless it is `expected`.
    public mutating func expectFormatVersion(_ expected: UInt8) throws(WireError) {
        let version = try readUInt8()
        guard version == expected else { throw .unsupportedVersion(version) }
    }

    public mutating func readBool(field: String = "bool") throws(WireError) -> Bool {
        switch try readUInt8() {
        case 0: return false
        case 1: return true
        case let other: throw .unknownTag(field: field, value: UInt64(other))
        }
    }

    public mutating func readUInt16() throws(WireError) -> UInt16 {
        try need(2)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public mutating func readUInt32() throws(WireError) -> UInt32 {
        try need(4)
        var value: UInt32 = 0
        for index in 0..<4 { value = value << 8 | UInt32(bytes[offset + index]) }
        offset += 4
        return value
    }

    public mutating func readUInt64() throws(WireError) -> UInt64 {
        try need(8)
        var value: UInt64 = 0
        for index in 0..<8 { value = value << 8 | UInt64(bytes[offset + index]) }
        offset += 8
        return value
    }

    public mutating func readInt64() throws(WireError) -> Int64 { Int64(bitPattern: try readUInt64()) }

    public mutating func readDouble() throws(WireError) -> Double { Double(bitPattern: try readUInt64()) }

    /// Unsigned LEB128, at most 10 bytes, rejecting values that overflow 64 bits.
    public mutating func readVarint(field: String = "varint") throws(WireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readUInt8()
            if shift == 63 && byte > 1 { throw .lengthOutOfRange(field: field, value: UInt64(byte)) }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw .lengthOutOfRange(field: field, value: result) }
        }
    }

    /// A varint that must fit in `limit`; used for counts and lengths before allocating.
    public mutating func readCount(field: String, limit: Int) throws(WireError) -> Int {
        let value = try readVarint(field: field)
        guard value <= UInt64(limit) else { throw .lengthOutOfRange(field: field, value: value) }
        return Int(value)
    }

    /// A count of items each at least `minimumItemBytes` long: bounded by what is left.
    public mutating func readItemCount(field: String, minimumItemBytes: Int = 1, limit: Int = .max) throws(WireError) -> Int {
        let bound = min(limit, remaining / max(1, minimumItemBytes))
        return try readCount(field: field, limit: bound)
    }

    public mutating func readBytes(field: String = "bytes", limit: Int = .max) throws(WireError) -> [UInt8] {
        let count = try readCount(field: field, limit: min(limit, remaining))
        return try readRaw(count: count)
    }

    /// A length-prefixed UTF-8 string, refused (``WireError/invalidUTF8(field:)``) when its
    /// bytes are not valid UTF-8. Read in place: an ASCII string (header names and values,
    /// paths, timestamps: nearly every string on the wire) becomes a `String` in one step,
    /// and only the rest goes through the standard library's validating initialiser.
    public mutating func readString(field: String = "string", limit: Int = 65_536) throws(WireError) -> String {
        let count = try readCount(field: field, limit: min(limit, remaining))
        try need(count)
        let start = offset
        let value: String? = bytes.withUnsafeBufferPointer { all in
            let raw = UnsafeBufferPointer(rebasing: all[start..<start + count])
            if Self.isASCII(raw) { return String(decoding: raw, as: UTF8.self) }
            return String(validating: raw, as: UTF8.self)
        }
        guard let value else { throw .invalidUTF8(field: field) }
        offset += count
        return value
    }

    /// Whether every byte is below 0x80, eight at a time.
    @inline(__always)
    static func isASCII(_ raw: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = raw.baseAddress else { return true }
        var index = 0
        let words = raw.count / 8
        var high: UInt64 = 0
        for word in 0..<words {
            high |= UnsafeRawPointer(base + word * 8).loadUnaligned(as: UInt64.self)
        }
        index = words * 8
        while index < raw.count {
            high |= UInt64(base[index])
            index += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    public mutating func readRaw(count: Int) throws(WireError) -> [UInt8] {
        try need(count)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Fails when bytes are left: a complete value must use the whole input.
    public func expectEnd() throws(WireError) {
        if remaining != 0 { throw .trailingBytes(count: remaining) }
    }
}
