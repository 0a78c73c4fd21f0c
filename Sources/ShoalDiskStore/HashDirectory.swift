import ShoalCore

/// Decides, from the names of one object's files (Swift's hash directory; here the files of
/// its suffix folder named for its hash, the hash taken off), which are current and which are
/// obsolete (Swift's `get_ondisk_files`): the newest `.data` or `.ts` wins; a
/// `.meta` counts only when newer than a winning `.data`, and only the newest; everything
/// older is obsolete. Names it does not understand are left alone. Pure: the store lists,
/// this decides, the store unlinks.
struct HashDirectory: Equatable {
    /// One parsed file name: `<timestamp>.<kind>`.
    struct FileName: Equatable {
        var timestamp: SwiftTimestamp
        var kind: DiskFileFormat.Kind
        var name: String { timestamp.internal + "." + HashDirectory.fileExtension(kind) }
    }

    /// The newest `.data` or `.ts`.
    var newest: FileName?
    /// The newest `.meta`, when newer than a `.data` winner.
    var meta: FileName?
    /// File names to unlink.
    var obsolete: [String]

    init(names: [String]) {
        var parsed: [(String, FileName)] = []
        for name in names {
            if let file = HashDirectory.parse(name) { parsed.append((name, file)) }
        }
        let winner = parsed.filter { $0.1.kind != .meta }.max { $0.1.timestamp < $1.1.timestamp }?.1
        var meta: FileName?
        if let winner, winner.kind == .data {
            meta = parsed.filter { $0.1.kind == .meta && $0.1.timestamp > winner.timestamp }
                .max { $0.1.timestamp < $1.1.timestamp }?.1
        }
        newest = winner
        self.meta = meta
        obsolete = parsed.filter { $0.1 != winner && $0.1 != meta }.map(\.0)
    }

    /// Timestamp of the newest thing here, `.meta` included: what a POST must beat.
    var newestTimestamp: SwiftTimestamp? { meta?.timestamp ?? newest?.timestamp }

    static func fileExtension(_ kind: DiskFileFormat.Kind) -> String {
        switch kind {
        case .data: "data"
        case .tombstone: "ts"
        case .meta: "meta"
        }
    }

    /// Nil for anything but `<valid timestamp>.data|.ts|.meta`.
    static func parse(_ name: String) -> FileName? {
        guard let dot = name.lastIndex(of: ".") else { return nil }
        let kind: DiskFileFormat.Kind
        switch name[name.index(after: dot)...] {
        case "data": kind = .data
        case "ts": kind = .tombstone
        case "meta": kind = .meta
        default: return nil
        }
        guard let timestamp = SwiftTimestamp(String(name[..<dot])), timestamp.internal == name[..<dot] else { return nil }
        return FileName(timestamp: timestamp, kind: kind)
    }
}
