/// One piece of a large object's body: a range of a segment object (Swift's SLO and DLO).
public struct SegmentPiece: Hashable, Sendable {
    public let container: String
    public let object: String
    /// Inclusive byte range within the segment.
    public let range: ClosedRange<Int64>

    public init(container: String, object: String, range: ClosedRange<Int64>) {
        self.container = container
        self.object = object
        self.range = range
    }

    public var length: Int64 { range.upperBound - range.lowerBound + 1 }
}

/// Which parts of which segments make up bytes `range` of a large object. Pure.
public enum SegmentPlan {
    /// The pieces covering `range` (inclusive) of the concatenation of `segments`, in order.
    public static func pieces(of segments: [SegmentPiece], covering range: ClosedRange<Int64>) -> [SegmentPiece] {
        var result: [SegmentPiece] = []
        var offset: Int64 = 0
        for segment in segments {
            let start = offset, end = offset + segment.length - 1
            offset += segment.length
            guard segment.length > 0, end >= range.lowerBound, start <= range.upperBound else { continue }
            let from = max(range.lowerBound, start) - start + segment.range.lowerBound
            let through = min(range.upperBound, end) - start + segment.range.lowerBound
            result.append(SegmentPiece(container: segment.container, object: segment.object, range: from...through))
        }
        return result
    }

    /// Splits `/container/object` (SLO's `path`, DLO's listing) into its names.
    public static func split(path: String) -> (container: String, object: String)? {
        let trimmed = path.hasPrefix("/") ? path.dropFirst() : Substring(path)
        guard let slash = trimmed.firstIndex(of: "/") else { return nil }
        let container = String(trimmed[..<slash]), object = String(trimmed[trimmed.index(after: slash)...])
        guard !container.isEmpty, !object.isEmpty else { return nil }
        return (container, object)
    }
}
