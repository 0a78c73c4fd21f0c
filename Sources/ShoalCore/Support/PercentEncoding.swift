/// `%XX` decoding of URL paths and query strings, on bytes (requests decode several
/// components each, so this avoids Foundation's string searches).
public enum PercentEncoding {
    /// `%XX` to its byte, and `+` to a space when `plusAsSpace` (query strings, as Python's
    /// `parse_qsl`); a `%` not followed by two hex digits stays as it is.
    public static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes, plusAsSpace: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+"), plusAsSpace {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"),
                      case let first = bytes.index(after: index), first < bytes.endIndex,
                      case let second = bytes.index(after: first), second < bytes.endIndex,
                      let high = Hex.value(of: bytes[first]), let low = Hex.value(of: bytes[second]) {
                out.append(high << 4 | low)
                index = second
            } else {
                out.append(byte)
            }
            index = bytes.index(after: index)
        }
        return out
    }

    /// The decoded text, nil when the bytes it decodes to are not UTF-8.
    public static func decode<Text: StringProtocol>(_ text: Text, plusAsSpace: Bool) -> String? {
        String(validating: decode(text.utf8, plusAsSpace: plusAsSpace), as: UTF8.self)
    }
}
