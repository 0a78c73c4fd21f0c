/// Why bytes from the network could not be decoded.
///
/// Every decoder in Shoal reports malformed input with one of these and never traps:
/// bytes from a peer are untrusted until they decode.
public enum WireError: Error, Equatable, Sendable {
    /// The input ended before the value was complete.
    case truncated(needed: Int, available: Int)
    /// A magic number or tag did not match what the format allows.
    case badMagic
    /// The format version is not one this build understands.
    case unsupportedVersion(UInt8)
    /// A tag (message kind, enum case) is not known.
    case unknownTag(field: String, value: UInt64)
    /// A length or count is larger than the input or than the format allows.
    case lengthOutOfRange(field: String, value: UInt64)
    /// A string was not valid UTF-8.
    case invalidUTF8(field: String)
    /// A value decoded but breaks a rule of its type (a bad node id, say).
    case invalidValue(field: String)
    /// Bytes were left over after a complete value.
    case trailingBytes(count: Int)
}
