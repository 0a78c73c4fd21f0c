import ShoalCore

/// A plain in-memory statement of Swift's listing rules, to check the brokers against:
/// filter by prefix and markers, sort bytewise, roll names up at the delimiter, skip the
/// subdir equal to the marker, cut at the limit. Subdirs carry a `[dir]` tag.
enum ListingReference {
    static func list(names: [String], query: ListingQuery) -> [String] {
        let prefix = Array(query.prefix.utf8)
        let lower = Array((query.reverse ? query.endMarker : query.marker).utf8)
        let upper = Array((query.reverse ? query.marker : query.endMarker).utf8)
        let delimiter = query.delimiter.map { Array($0.utf8) }
        var candidates = names.map { Array($0.utf8) }
            .filter { name in
                name.starts(with: prefix)
                    && (lower.isEmpty || lower.lexicographicallyPrecedes(name))
                    && (upper.isEmpty || name.lexicographicallyPrecedes(upper))
            }
            .sorted { $0.lexicographicallyPrecedes($1) }
        if query.reverse { candidates.reverse() }
        var out: [String] = []
        var lastSubdir: [UInt8]?
        for name in candidates where out.count < query.limit {
            if let delimiter, let end = find(delimiter, in: name, from: prefix.count) {
                let subdir = Array(name[..<(end + delimiter.count)])
                if subdir == lastSubdir { continue }
                lastSubdir = subdir
                if subdir == lower { continue }
                out.append(String(decoding: subdir, as: UTF8.self) + "[dir]")
            } else {
                out.append(String(decoding: name, as: UTF8.self))
            }
        }
        return out
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in stride(from: start, through: haystack.count - needle.count, by: 1)
        where Array(haystack[index..<(index + needle.count)]) == needle {
            return index
        }
        return nil
    }
}
