import ShoalCore
import ShoalPorts

/// The body of a `206 multipart/byteranges` answer, as Swift's object server writes it:
/// for each range a `--boundary` line, its `Content-Type` and `Content-Range`, a blank
/// line and the bytes; then `--boundary--`. Each range's bytes stream from `open` when
/// the consumer reaches them, so no part is held in memory.
struct ByterangesBody: Sendable {
    let ranges: [ClosedRange<Int>]
    let sizeBytes: Int
    let contentType: String
    let boundary: String
    let open: @Sendable (ClosedRange<Int>) async throws -> ChunkStream

    /// A boundary that cannot occur in the body: derived from the version, so an answer is
    /// reproducible.
    static func boundary(etag: String, timestamp: SwiftTimestamp) -> String {
        var hasher = ETagHasher()
        hasher.update("byteranges \(etag) \(timestamp.internal)")
        return hasher.finalize()
    }

    /// What comes before part `index`'s bytes.
    func partHead(_ index: Int) -> [UInt8] {
        let range = ranges[index]
        let lead = index == 0 ? "" : "\r\n"
        return Array("\(lead)--\(boundary)\r\nContent-Type: \(contentType)\r\nContent-Range: bytes \(range.lowerBound)-\(range.upperBound)/\(sizeBytes)\r\n\r\n".utf8)
    }

    var trailer: [UInt8] { Array("\r\n--\(boundary)--".utf8) }

    var contentLength: Int {
        ranges.indices.reduce(trailer.count) { $0 + partHead($1).count + ranges[$1].count }
    }

    func stream() -> ChunkStream {
        let cursor = Cursor(body: self)
        return ChunkStream { try await cursor.next() }
    }

    /// Where the consumer is: which part, and the open stream of its bytes.
    private actor Cursor {
        let body: ByterangesBody
        var nextPart = 0
        /// The current part's bytes (a stream's state lives in its closure, so each pull
        /// may take a fresh iterator).
        var part: ChunkStream?
        var finished = false

        init(body: ByterangesBody) { self.body = body }

        func next() async throws -> [UInt8]? {
            if let stream = part {
                var iterator = stream.makeAsyncIterator()
                if let chunk = try await iterator.next() { return chunk }
                part = nil
            }
            if finished { return nil }
            guard nextPart < body.ranges.count else {
                finished = true
                return body.trailer
            }
            let index = nextPart
            nextPart += 1
            part = try await body.open(body.ranges[index])
            return body.partHead(index)
        }
    }
}
