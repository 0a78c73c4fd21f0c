/// A `Range: bytes=...` header, resolved against an object's length as Swift resolves it:
/// `first-last`, `first-`, and suffix `-count` specs, several allowed (answered as
/// `multipart/byteranges`). A syntactically bad header is ignored (the whole object is
/// sent, 200); a good one with no satisfiable range is 416.
public struct ByteRanges: Hashable, Sendable {
    public enum Spec: Hashable, Sendable {
        case from(Int64, through: Int64?)
        case suffix(Int64)
    }

    /// Swift refuses headers with more ranges than this (too costly to serve).
    public static let maximumRanges = 50

    public let specs: [Spec]

    /// Nil when the header is not a valid byte-range header (Swift then ignores it).
    public init?(header: String) {
        let trimmed = header.trimmingWhitespace()
        guard trimmed.lowercased().hasPrefix("bytes=") else { return nil }
        var specs: [Spec] = []
        for rawPart in trimmed.dropFirst(6).split(separator: ",", omittingEmptySubsequences: false) {
            let part = String(rawPart).trimmingWhitespace()
            guard let dash = part.firstIndex(of: "-") else { return nil }
            let first = part[..<dash], last = part[part.index(after: dash)...]
            if first.isEmpty {
                guard let count = Int64(last), count >= 0 else { return nil }
                specs.append(.suffix(count))
            } else {
                guard let start = Int64(first), start >= 0 else { return nil }
                if last.isEmpty {
                    specs.append(.from(start, through: nil))
                } else {
                    guard let end = Int64(last), end >= start else { return nil }
                    specs.append(.from(start, through: end))
                }
            }
        }
        guard !specs.isEmpty, specs.count <= ByteRanges.maximumRanges else { return nil }
        self.specs = specs
    }

    /// The satisfiable ranges for an object of `length` bytes, clamped to its end;
    /// empty means 416.
    public func resolve(length: Int64) -> [ClosedRange<Int64>] {
        specs.compactMap { spec in
            switch spec {
            case .from(let start, let end):
                guard start < length else { return nil }
                return start...min(end ?? length - 1, length - 1)
            case .suffix(let count):
                guard count > 0, length > 0 else { return nil }
                return max(0, length - count)...(length - 1)
            }
        }
    }
}
