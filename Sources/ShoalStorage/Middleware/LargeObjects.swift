import Foundation
import ShoalCore
import ShoalPorts
import ShoalSwiftAPI

/// Swift's `slo` and `dlo` middlewares in one stage.
///
/// Static large objects: `PUT ?multipart-manifest=put` validates the listed segments and
/// stores a manifest; GET and HEAD of a manifest answer the concatenated segments
/// (streamed, with the client's Range); `?multipart-manifest=get` answers the manifest
/// itself; `DELETE ?multipart-manifest=delete` removes the segments and the manifest.
///
/// Dynamic large objects: an object with `X-Object-Manifest: container/prefix` reads as
/// the concatenation of the objects listed under that prefix, in name order.
public struct LargeObjects: StorageHandler {
    public static let maxManifestSegments = 1_000
    public static let maxManifestBytes = 8 * 1024 * 1024
    public static let minSegmentBytes = 1

    let next: any StorageHandler
    /// Where segment and listing subrequests go: through authorization again, so a
    /// manifest can only name segments its reader may read (Swift authorizes every
    /// subrequest as the requester).
    let segmentGate: any StorageHandler

    public init(next: any StorageHandler, segments: (any StorageHandler)? = nil) {
        self.next = next
        segmentGate = segments ?? next
    }

    /// A subrequest about a segment (or a segment listing) on behalf of `original`'s user.
    func segmentRequest(_ method: String, _ original: StorageRequest, container: String, object: String? = nil,
                        query: [String: String] = [:]) -> StorageRequest {
        StorageRequest(method: method, account: original.account, container: container, object: object, query: query,
                       headers: original.headers.filtered(keeping: ["X-Auth-Token", "X-Storage-Token"]),
                       environment: original.environment)
    }

    func streamer(for request: StorageRequest) -> SegmentStreamer {
        SegmentStreamer(next: segmentGate, account: request.account,
                        headers: request.headers.filtered(keeping: ["X-Auth-Token", "X-Storage-Token"]),
                        environment: request.environment)
    }

    public func handle(_ request: StorageRequest) async -> StorageResponse {
        guard request.object != nil else { return await next.handle(request) }
        let mode = request.query["multipart-manifest"]
        switch (request.method, mode) {
        case ("PUT", "put"): return await putManifest(request)
        case ("DELETE", "delete"): return await deleteManifest(request)
        case ("GET", "get"), ("HEAD", "get"):
            var plain = request
            plain.query["multipart-manifest"] = nil
            var response = await next.handle(plain)
            if response.isSuccess, isManifest(response) { response.headers["Content-Type"] = "application/json; charset=utf-8" }
            return response
        case ("GET", _), ("HEAD", _): return await read(request)
        default: return await next.handle(request)
        }
    }

    func isManifest(_ response: StorageResponse) -> Bool {
        ["true", "yes", "1", "on"].contains(response.headers["X-Static-Large-Object"]?.lowercased() ?? "")
    }

    func isLargeObject(_ response: StorageResponse) -> Bool {
        isManifest(response) || response.headers["X-Object-Manifest"] != nil
    }

    // MARK: Reading

    static let conditionalHeaders = ["If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"]

    func read(_ request: StorageRequest) async -> StorageResponse {
        // A HEAD, a ranged GET or a conditional one must first learn whether this is a large
        // object: a range of the manifest's own bytes, or a condition on its own ETag, would
        // be meaningless. Plain objects then get the request as it came.
        var unconditional = request
        for name in ["Range"] + Self.conditionalHeaders { unconditional.headers[name] = nil }
        let needsProbe = request.method == "HEAD" || unconditional.headers.count != request.headers.count
        if needsProbe {
            var head = unconditional
            head.method = "HEAD"
            let answer = await next.handle(head)
            guard answer.isSuccess, isLargeObject(answer) else {
                let plainHead = request.method == "HEAD" && unconditional.headers.count == request.headers.count
                return plainHead ? answer : await next.handle(request)
            }
        }
        var get = unconditional
        get.method = "GET"
        let response = await next.handle(get)
        guard response.isSuccess, isLargeObject(response) else { return response }
        if !isManifest(response), let prefix = response.headers["X-Object-Manifest"] {
            if let body = response.body { _ = try? await body.collect(upTo: Self.maxManifestBytes) }
            return await readDynamic(request, manifest: response, prefix: prefix)
        }
        guard let bytes = try? await response.body?.collect(upTo: Self.maxManifestBytes),
              let entries = try? JSONDecoder().decode([ManifestEntry].self, from: Data(bytes))
        else { return StorageResponse.text(500, "Unable to load SLO manifest") }
        let segments = entries.compactMap { entry -> SegmentPiece? in
            guard let (container, object) = SegmentPlan.split(path: entry.name) else { return nil }
            let whole: ClosedRange<Int64> = 0...max(0, entry.bytes - 1)
            return SegmentPiece(container: container, object: object, range: entry.byteRange ?? whole)
        }.filter { $0.length > 0 }
        let etag = response.headers["X-Object-Sysmeta-Slo-Etag"] ?? Self.etag(of: entries)
        let lastModified = response.headers["Last-Modified"].flatMap(HTTPDateParser.seconds)
        switch ConditionalRequest(header: { request.headers[$0] }).evaluateRead(etag: etag, lastModified: lastModified) {
        case .proceed: break
        case .notModified:
            return StorageResponse(status: 304, headers: ["ETag": "\"\(etag)\"", "Content-Length": "0"])
        case .preconditionFailed:
            return StorageResponse.text(412, "<html><h1>Precondition Failed</h1><p>A precondition for this request was not met.</p></html>")
        }
        var manifest = response
        manifest.headers["X-Object-Sysmeta-Slo-Etag"] = nil
        manifest.headers["X-Object-Sysmeta-Slo-Size"] = nil
        return LargeObjectResponse.make(
            request: request, manifest: manifest, segments: segments, etag: etag,
            contentType: LargeObjectResponse.strippingSwiftBytes(response.headers["Content-Type"]),
            streamer: streamer(for: request))
    }

    // MARK: Writing

    struct PutSegment: Decodable {
        var path: String
        var etag: String?
        var sizeBytes: Int64?
        var range: String?

        enum CodingKeys: String, CodingKey {
            case path, etag, range
            case sizeBytes = "size_bytes"
        }
    }

    struct ManifestEntry: Codable {
        var name: String
        var bytes: Int64
        var hash: String
        var contentType: String
        var lastModified: String
        var range: String?

        enum CodingKeys: String, CodingKey {
            case name, bytes, hash, range
            case contentType = "content_type"
            case lastModified = "last_modified"
        }

        /// The `range` (`first-last`) within the segment, resolved against its size.
        var byteRange: ClosedRange<Int64>? {
            guard let range, let ranges = ByteRanges(header: "bytes=" + range),
                  let first = ranges.resolve(length: bytes).first else { return nil }
            return first
        }
    }

    func putManifest(_ request: StorageRequest) async -> StorageResponse {
        guard let body = try? await (request.body ?? .empty).collect(upTo: Self.maxManifestBytes) else {
            return StorageResponse.text(413, "Manifest File > \(Self.maxManifestBytes) bytes")
        }
        guard let segments = try? JSONDecoder().decode([PutSegment].self, from: Data(body)) else {
            return StorageResponse.text(400, "Manifest must be valid JSON.\n")
        }
        guard !segments.isEmpty else { return StorageResponse.text(400, "Manifest must have at least one segment.\n") }
        guard segments.count <= Self.maxManifestSegments else {
            return StorageResponse.text(400, "Number of segments must be <= \(Self.maxManifestSegments)\n")
        }
        var problems: [String] = []
        var entries: [ManifestEntry] = []
        for segment in segments {
            guard let (container, object) = SegmentPlan.split(path: segment.path) else {
                problems.append("\(segment.path), Invalid segment path")
                continue
            }
            let head = await segmentGate.handle(segmentRequest("HEAD", request, container: container, object: object))
            guard head.isSuccess, let size = head.headers.integer("Content-Length") else {
                problems.append("\(segment.path), \(head.status == 404 ? "404 Not Found" : "\(head.status)")")
                continue
            }
            let etag = (head.headers["ETag"] ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            if let expected = segment.etag, !expected.isEmpty, expected.lowercased() != etag.lowercased() {
                problems.append("\(segment.path), Etag Mismatch")
            }
            if let expected = segment.sizeBytes, expected != Int64(size) { problems.append("\(segment.path), Size Mismatch") }
            if size < Self.minSegmentBytes, segments.count > 1 { problems.append("\(segment.path), Too Small; each segment must be at least 1 byte.") }
            var entry = ManifestEntry(name: "/\(container)/\(object)", bytes: Int64(size), hash: etag,
                                      contentType: head.headers["Content-Type"] ?? "application/octet-stream",
                                      lastModified: head.headers["Last-Modified"] ?? "", range: segment.range)
            if segment.range != nil {
                guard let resolved = entry.byteRange else {
                    problems.append("\(segment.path), Unsatisfiable Range")
                    continue
                }
                entry.range = "\(resolved.lowerBound)-\(resolved.upperBound)"
            }
            entries.append(entry)
        }
        guard problems.isEmpty else {
            return StorageResponse.text(400, "Errors:\n" + problems.joined(separator: "\n") + "\n")
        }
        let total = entries.reduce(Int64(0)) { $0 + ($1.byteRange.map { $0.upperBound - $0.lowerBound + 1 } ?? $1.bytes) }
        let etag = Self.etag(of: entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let manifest = try? encoder.encode(entries) else { return StorageResponse.text(500, "Cannot encode manifest") }
        var put = request
        put.query["multipart-manifest"] = nil
        put.headers["ETag"] = nil
        put.headers["Transfer-Encoding"] = nil
        put.headers["Content-Length"] = String(manifest.count)
        let type = LargeObjectResponse.strippingSwiftBytes(request.headers["Content-Type"]) ?? "application/octet-stream"
        put.headers["Content-Type"] = "\(type);swift_bytes=\(total)"
        put.headers["X-Static-Large-Object"] = "True"
        put.headers["X-Object-Sysmeta-Slo-Etag"] = etag
        put.headers["X-Object-Sysmeta-Slo-Size"] = String(total)
        put.body = .bytes(Array(manifest))
        var response = await next.handle(put)
        if response.status == 201 { response.headers["ETag"] = "\"\(etag)\"" }
        return response
    }

    /// SLO's ETag: MD5 of the segments' ETags (with `:range;` for ranged segments), hex.
    static func etag(of entries: [ManifestEntry]) -> String {
        var hasher = ETagHasher()
        for entry in entries {
            hasher.update(entry.hash)
            if let range = entry.range { hasher.update(":\(range);") }
        }
        return hasher.finalize()
    }

    // MARK: Deleting

    func deleteManifest(_ request: StorageRequest) async -> StorageResponse {
        var get = request
        get.method = "GET"
        get.query["multipart-manifest"] = nil
        get.headers["Range"] = nil
        let response = await next.handle(get)
        guard response.isSuccess else {
            return await next.handle(StorageRequest(method: "DELETE", account: request.account, container: request.container,
                                                    object: request.object, headers: request.headers, environment: request.environment))
        }
        guard isManifest(response) else {
            var plain = request
            plain.query["multipart-manifest"] = nil
            return await next.handle(plain)
        }
        guard let bytes = try? await response.body?.collect(upTo: Self.maxManifestBytes),
              let entries = try? JSONDecoder().decode([ManifestEntry].self, from: Data(bytes))
        else { return StorageResponse.text(500, "Unable to load SLO manifest") }
        var deleted = 0, notFound = 0
        var errors: [(path: String, status: String)] = []
        for entry in entries {
            guard let (container, object) = SegmentPlan.split(path: entry.name) else { continue }
            let result = await segmentGate.handle(segmentRequest("DELETE", request, container: container, object: object))
            switch result.status {
            case 200..<300: deleted += 1
            case 404: notFound += 1
            default: errors.append((entry.name, "\(result.status)"))
            }
        }
        var plain = request
        plain.query["multipart-manifest"] = nil
        plain.body = nil
        let manifestResult = await next.handle(plain)
        switch manifestResult.status {
        case 200..<300: deleted += 1
        case 404: notFound += 1
        default: errors.append((request.path, "\(manifestResult.status)"))
        }
        return BulkResult(counts: [("Number Deleted", deleted), ("Number Not Found", notFound)], errors: errors,
                          status: errors.isEmpty ? "200 OK" : "400 Bad Request")
            .response(accept: request.headers["Accept"])
    }
}

// MARK: Dynamic large objects

extension LargeObjects {
    /// Lists `container/prefix` (in pages of 10,000) and answers the segments' concatenation.
    func readDynamic(_ request: StorageRequest, manifest: StorageResponse, prefix value: String) async -> StorageResponse {
        let decoded = value.removingPercentEncoding ?? value
        guard let slash = decoded.firstIndex(of: "/"), slash != decoded.startIndex else {
            return StorageResponse.text(400, "X-Object-Manifest must be in the format container/prefix")
        }
        let container = String(decoded[..<slash]), prefix = String(decoded[decoded.index(after: slash)...])
        var segments: [SegmentPiece] = []
        var hasher = ETagHasher()
        var marker = ""
        while true {
            let listing = await segmentGate.handle(segmentRequest(
                "GET", request, container: container, query: ["format": "json", "prefix": prefix, "marker": marker]))
            if listing.status == 401 || listing.status == 403 { return listing }
            guard listing.isSuccess || listing.status == 404 else { return StorageResponse.text(503, "Unable to list DLO segments") }
            guard listing.isSuccess, let bytes = try? await listing.body?.collect(upTo: 32 << 20),
                  let page = try? JSONDecoder().decode([ListedSegment].self, from: Data(bytes)), !page.isEmpty
            else { break }
            // The ETag covers every listed segment in listing order, empty ones included (as Swift's dlo).
            for item in page {
                if item.bytes > 0 { segments.append(SegmentPiece(container: container, object: item.name, range: 0...(item.bytes - 1))) }
                hasher.update(item.hash)
            }
            marker = page.last!.name
            if page.count < 10_000 { break }
        }
        var headers = manifest
        headers.headers["X-Object-Manifest"] = value
        return LargeObjectResponse.make(
            request: request, manifest: headers, segments: segments, etag: hasher.finalize(),
            contentType: manifest.headers["Content-Type"],
            streamer: streamer(for: request))
    }

    struct ListedSegment: Decodable {
        var name: String
        var bytes: Int64
        var hash: String
    }
}
