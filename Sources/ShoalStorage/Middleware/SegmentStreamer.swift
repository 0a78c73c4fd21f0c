import ShoalCore
import ShoalPorts
import ShoalSwiftAPI

/// Streams a large object's pieces one segment GET at a time, so memory stays at one
/// chunk whatever the size. A segment that is missing or changed size ends the stream
/// with an error (the client sees a short body, as with Swift).
struct SegmentStreamer: Sendable {
    let next: any StorageHandler
    let account: String
    /// The requester's credentials: every segment read is authorized as them.
    let headers: HeaderFields
    let environment: [String: String]

    func stream(_ pieces: [SegmentPiece]) -> ChunkStream {
        let state = StreamState(pieces: pieces)
        let next = self.next, account = self.account, environment = self.environment, credentials = self.headers
        return ChunkStream {
            while true {
                if state.current != nil {
                    if let chunk = try await state.current!.next() { return chunk }
                    state.current = nil
                }
                guard let piece = state.takePiece() else { return nil }
                let response = await next.handle(StorageRequest(
                    method: "GET", account: account, container: piece.container, object: piece.object,
                    headers: Self.ranged(credentials, piece), environment: environment))
                guard response.isSuccess, let body = response.body else {
                    throw LargeObjectError.segmentUnavailable("/\(piece.container)/\(piece.object)", response.status)
                }
                state.current = body.makeAsyncIterator()
            }
        }
    }
}

extension SegmentStreamer {
    static func ranged(_ credentials: HeaderFields, _ piece: SegmentPiece) -> HeaderFields {
        var headers = credentials
        headers["Range"] = "bytes=\(piece.range.lowerBound)-\(piece.range.upperBound)"
        return headers
    }
}

enum LargeObjectError: Error {
    case segmentUnavailable(String, Int)
}

/// The streamer's position; used by one consumer at a time (ChunkStream's contract).
private final class StreamState: @unchecked Sendable {
    var pieces: ArraySlice<SegmentPiece>
    var current: ChunkStream.AsyncIterator?

    init(pieces: [SegmentPiece]) {
        self.pieces = pieces[...]
    }

    func takePiece() -> SegmentPiece? { pieces.popFirst() }
}

/// What large-object GETs and HEADs share: the client's Range against the whole, the
/// headers of the answer, and the streamed body.
enum LargeObjectResponse {
    static func make(
        request: StorageRequest, manifest: StorageResponse, segments: [SegmentPiece], etag: String, contentType: String?,
        streamer: SegmentStreamer
    ) -> StorageResponse {
        let total = segments.reduce(Int64(0)) { $0 + $1.length }
        var headers = manifest.headers
        headers["ETag"] = "\"\(etag)\""
        if let contentType { headers["Content-Type"] = contentType }
        headers["Accept-Ranges"] = "bytes"
        headers["Content-Range"] = nil
        var status = 200
        var range: ClosedRange<Int64>? = total > 0 ? 0...(total - 1) : nil
        if let header = request.headers["Range"], let ranges = ByteRanges(header: header) {
            let resolved = ranges.resolve(length: total)
            guard let first = resolved.first else {
                return StorageResponse(status: 416, headers: [
                    "Content-Range": "bytes */\(total)", "Content-Type": "text/html; charset=UTF-8", "Content-Length": "0",
                ])
            }
            // Several ranges of a large object are answered with the first one, as one part.
            status = 206
            range = first
            headers["Content-Range"] = "bytes \(first.lowerBound)-\(first.upperBound)/\(total)"
        }
        let length = range.map { $0.upperBound - $0.lowerBound + 1 } ?? 0
        headers["Content-Length"] = String(length)
        let pieces = range.map { SegmentPlan.pieces(of: segments, covering: $0) } ?? []
        let body = request.method == "HEAD" ? nil : streamer.stream(pieces)
        return StorageResponse(status: status, headers: headers, body: body)
    }

    /// `text/plain;swift_bytes=123` → `text/plain` (SLO keeps the total size in the type).
    static func strippingSwiftBytes(_ contentType: String?) -> String? {
        guard let contentType else { return nil }
        let parts = contentType.split(separator: ";").map { String($0).trimmingWhitespace() }
        return parts.filter { !$0.hasPrefix("swift_bytes=") }.joined(separator: ";")
    }
}
