/// Checks user metadata headers (`X-Account-Meta-*`, `X-Container-Meta-*`,
/// `X-Object-Meta-*`) against Swift's limits, with Swift's 400 messages.
public enum MetadataRules {
    public enum Target: String, Sendable {
        case account, container, object
        var prefix: String { "x-\(rawValue)-meta-" }
    }

    /// The metadata in `headers` (names lower-cased, prefix removed), or Swift's 400.
    /// Header names compare case-insensitively; values are counted in UTF-8 bytes.
    public static func userMetadata(
        in headers: [(name: String, value: String)], target: Target, constraints: SwiftConstraints = .default
    ) throws(SwiftError) -> [String: String] {
        let prefix = target.prefix
        var metadata: [String: String] = [:]
        var count = 0
        var size = 0
        for (name, value) in headers {
            let lower = name.lowercased()
            guard lower.hasPrefix(prefix) else { continue }
            let key = String(lower.dropFirst(prefix.count))
            let header = "X-\(target.rawValue.capitalized)-Meta-\(key)"
            guard !key.isEmpty else { throw .badRequest("Metadata name cannot be empty") }
            guard !value.contains("\0"), !key.contains("\0") else { throw .badRequest("Metadata must be valid UTF-8") }
            count += 1
            size += key.utf8.count + value.utf8.count
            if key.utf8.count > constraints.maxMetaNameLength {
                throw .badRequest("Metadata name too long: \(header)")
            }
            if value.utf8.count > constraints.maxMetaValueLength {
                throw .badRequest("Metadata value longer than \(constraints.maxMetaValueLength): \(header)")
            }
            if count > constraints.maxMetaCount {
                throw .badRequest("Too many metadata items; max \(constraints.maxMetaCount)")
            }
            if size > constraints.maxMetaOverallSize {
                throw .badRequest("Total metadata too large; max \(constraints.maxMetaOverallSize)")
            }
            metadata[key] = value
        }
        return metadata
    }
}
