import Foundation
import HTTPTypes
import Hummingbird
import ShoalCore
import ShoalPorts
import ShoalSwiftAPI

/// Conversions between Hummingbird's HTTP types and the storage pipeline's, streaming
/// bodies both ways chunk by chunk (never collecting them).
enum HTTPBridge {
    /// The request's headers, names as the client sent them.
    static func headers(_ fields: HTTPFields) -> HeaderFields {
        var headers = HeaderFields()
        for field in fields { headers.add(field.name.rawName, field.value) }
        return headers
    }

    /// Query parameters decoded as Swift (Python's `parse_qs`) decodes them: `+` is a space,
    /// percent escapes are UTF-8; a name without `=` has an empty value; the first wins.
    static func query(_ raw: String?) -> [String: String] {
        guard let raw, !raw.isEmpty else { return [:] }
        var result: [String: String] = [:]
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = PercentEncoding.decode(parts[0], plusAsSpace: true) else { continue }
            let value = parts.count > 1 ? PercentEncoding.decode(parts[1], plusAsSpace: true) ?? String(parts[1]) : ""
            if result[name] == nil { result[name] = value }
        }
        return result
    }

    /// The request body as a chunk stream, or nil when the request says it has none.
    static func body(of request: Request) -> ChunkStream? {
        let length = request.headers[.contentLength].flatMap { Int($0) }
        let chunked = request.headers[.transferEncoding]?.lowercased().contains("chunked") ?? false
        guard chunked || (length ?? 0) > 0 else { return nil }
        let cursor = RequestBodyCursor(request.body.makeAsyncIterator())
        return ChunkStream { try await cursor.next() }
    }

    /// The pipeline's answer as an HTTP response. A HEAD keeps its Content-Length with no body.
    static func response(_ storage: StorageResponse, isHead: Bool) -> Response {
        var fields = HTTPFields()
        fields.reserveCapacity(storage.headers.count + 4)
        // Content-Length is noted on the way: reading it back from HTTPFields joins every
        // value of the name into a new string.
        var contentLength: String?
        for field in storage.headers {
            guard let name = HTTPField.Name(field.name) else { continue }
            if name == .contentLength { contentLength = field.value }
            fields.append(HTTPField(name: name, value: field.value))
        }
        let status = HTTPResponse.Status(code: storage.status)
        guard !isHead, let body = storage.body else {
            if contentLength == nil, storage.status != 204, storage.status != 304, !isHead {
                fields.append(HTTPField(name: .contentLength, value: "0"))
            }
            return Response(status: status, headers: fields, body: ResponseBody(contentLength: nil) { writer in
                // Drain what the pipeline produced for a HEAD so its resources are released.
                if let body = storage.body { for try await _ in body {} }
                try await writer.finish(nil)
            })
        }
        let length = contentLength.flatMap { Int($0) }
        return Response(status: status, headers: fields, body: ResponseBody(contentLength: length) { writer in
            for try await chunk in body {
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        })
    }

    static func response(_ error: SwiftError) -> Response {
        Response(
            status: HTTPResponse.Status(code: error.status),
            headers: [.contentType: error.contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: error.body)))
    }
}

/// Pulls a Hummingbird request body and hands it on in chunks of about `chunkBytes`: the
/// socket gives 16–64 KiB at a time, and every chunk costs a queue hand-off, a transport
/// message and an encryption per replica, so reads are joined (at most one chunk is held
/// while the next reads arrive). ``ChunkStream`` calls it from one consumer at a time,
/// which is what makes the unchecked sendability sound.
final class RequestBodyCursor: @unchecked Sendable {
    /// What a PUT forwards per transport message: 4 queued per target make 1 MiB.
    static let chunkBytes = 256 << 10

    private var iterator: RequestBody.AsyncIterator
    private var ended = false

    init(_ iterator: RequestBody.AsyncIterator) {
        self.iterator = iterator
    }

    func next() async throws -> [UInt8]? {
        guard !ended, let first = try await iterator.next() else { return nil }
        if first.readableBytes >= Self.chunkBytes { return Array(first.readableBytesView) }
        var chunk = [UInt8]()
        chunk.reserveCapacity(Self.chunkBytes + 64 << 10)
        chunk.append(contentsOf: first.readableBytesView)
        while chunk.count < Self.chunkBytes {
            guard let buffer = try await iterator.next() else {
                ended = true
                break
            }
            chunk.append(contentsOf: buffer.readableBytesView)
        }
        return chunk
    }
}
