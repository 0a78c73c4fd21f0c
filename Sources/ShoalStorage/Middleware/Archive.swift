import CZlib
import ShoalCore
import ShoalPorts

/// A gzip stream inflated chunk by chunk (zlib), for `extract-archive=tar.gz`.
final class GzipInflater: @unchecked Sendable {
    private var stream = z_stream()
    private var finished = false

    init() throws(ArchiveError) {
        let status = inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw .corrupt("gzip: cannot start (\(status))") }
    }

    deinit { inflateEnd(&stream) }

    /// Inflates `input`; returns what came out (possibly nothing yet).
    func inflate(_ input: [UInt8]) throws(ArchiveError) -> [UInt8] {
        guard !finished, !input.isEmpty else { return [] }
        var output: [UInt8] = []
        var failure: ArchiveError?
        input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            var buffer = [UInt8](repeating: 0, count: 256 * 1024)
            repeat {
                let produced: Int = buffer.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    if status == Z_STREAM_END { finished = true } else if status != Z_OK && status != Z_BUF_ERROR {
                        failure = .corrupt("gzip: \(status)")
                    }
                    return target.count - Int(stream.avail_out)
                }
                output.append(contentsOf: buffer[0..<produced])
            } while failure == nil && !finished && stream.avail_in > 0
            stream.next_in = nil
        }
        if let failure { throw failure }
        return output
    }
}

enum ArchiveError: Error, Equatable {
    case corrupt(String)
    case unsupported(String)
}

/// Reads a tar stream (ustar, with GNU long names and pax `path` records) entry by entry.
/// Each regular file's body is handed out as a ``ChunkStream`` that must be consumed
/// (or skipped with ``skipRest()``) before asking for the next entry; nothing is buffered
/// beyond one input chunk.
final class TarReader: @unchecked Sendable {
    struct Entry {
        let name: String
        let size: Int
        let body: ChunkStream
    }

    private var iterator: ChunkStream.AsyncIterator
    private let inflater: GzipInflater?
    private var buffer: [UInt8] = []
    private var offset = 0
    private var exhausted = false
    /// Bytes of the current entry's body (and its padding) not yet consumed.
    private var remainingBody = 0
    private var remainingPadding = 0

    init(body: ChunkStream, gzip: Bool) throws(ArchiveError) {
        iterator = body.makeAsyncIterator()
        inflater = gzip ? try GzipInflater() : nil
    }

    /// Refills the buffer; false at the end of the input.
    private func fill() async throws -> Bool {
        while offset >= buffer.count {
            guard !exhausted, let chunk = try await iterator.next() else {
                exhausted = true
                return false
            }
            buffer = try inflater?.inflate(chunk) ?? chunk
            offset = 0
        }
        return true
    }

    private func read(exactly count: Int) async throws -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        while result.count < count {
            guard try await fill() else { return nil }
            let take = min(count - result.count, buffer.count - offset)
            result.append(contentsOf: buffer[offset..<(offset + take)])
            offset += take
        }
        return result
    }

    private func skip(_ count: Int) async throws {
        var left = count
        while left > 0 {
            guard try await fill() else { throw ArchiveError.corrupt("tar: truncated") }
            let take = min(left, buffer.count - offset)
            offset += take
            left -= take
        }
    }

    /// The next chunk of the current entry's body, nil at its end.
    private func nextBodyChunk() async throws -> [UInt8]? {
        guard remainingBody > 0 else {
            if remainingPadding > 0 {
                try await skip(remainingPadding)
                remainingPadding = 0
            }
            return nil
        }
        guard try await fill() else { throw ArchiveError.corrupt("tar: truncated body") }
        let take = min(remainingBody, buffer.count - offset)
        defer { offset += take; remainingBody -= take }
        return Array(buffer[offset..<(offset + take)])
    }

    /// Consumes whatever is left of the current entry.
    func skipRest() async throws {
        try await skip(remainingBody + remainingPadding)
        remainingBody = 0
        remainingPadding = 0
    }

    /// The next regular file, or nil at the end of the archive.
    func next() async throws -> Entry? {
        try await skipRest()
        var longName: String?
        while true {
            guard let header = try await read(exactly: 512) else { return nil }
            if header.allSatisfy({ $0 == 0 }) { return nil }
            guard Self.checksumMatches(header) else { throw ArchiveError.corrupt("tar: bad header checksum") }
            let size = Self.octal(header[124..<136])
            guard size >= 0 else { throw ArchiveError.corrupt("tar: bad size") }
            let padding = (512 - size % 512) % 512
            let type = header[156]
            switch type {
            case UInt8(ascii: "L"), UInt8(ascii: "x"):
                guard size <= 1 << 20, let data = try await read(exactly: size) else { throw ArchiveError.corrupt("tar: bad long name") }
                try await skip(padding)
                longName = type == UInt8(ascii: "L") ? Self.string(data[...]) : Self.paxPath(data) ?? longName
                continue
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
                var name = Self.string(header[0..<100])
                if header[257..<262].elementsEqual("ustar".utf8) {
                    let prefix = Self.string(header[345..<500])
                    if !prefix.isEmpty { name = prefix + "/" + name }
                }
                remainingBody = size
                remainingPadding = padding
                let entryName = longName ?? name
                return Entry(name: entryName, size: size, body: ChunkStream { [self] in try await self.nextBodyChunk() })
            default:
                // Directories, links, devices: nothing to store.
                try await skip(size + padding)
                longName = nil
            }
        }
    }

    static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    static func octal(_ bytes: ArraySlice<UInt8>) -> Int {
        if let first = bytes.first, first & 0x80 != 0 {
            // GNU base-256 for sizes of 8 GiB and more.
            return bytes.dropFirst().reduce(Int(first & 0x7F)) { ($0 << 8) | Int($1) }
        }
        let text = string(bytes).trimmingWhitespace()
        return text.isEmpty ? 0 : Int(text, radix: 8) ?? -1
    }

    static func checksumMatches(_ header: [UInt8]) -> Bool {
        let stored = octal(header[148..<156])
        var sum = 0
        for (index, byte) in header.enumerated() { sum += (148..<156).contains(index) ? 32 : Int(byte) }
        return stored == sum
    }

    /// The `path` of a pax extended header (`<len> path=<value>\n` records).
    static func paxPath(_ data: [UInt8]) -> String? {
        for record in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let space = record.firstIndex(of: " ") else { continue }
            let field = record[record.index(after: space)...]
            if field.hasPrefix("path=") { return String(field.dropFirst(5)) }
        }
        return nil
    }
}
