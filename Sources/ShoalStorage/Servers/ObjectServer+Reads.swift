import ShoalCore
import ShoalPorts
import ShoalSwiftAPI

/// GET and HEAD: conditional requests, ranges (one, several as `multipart/byteranges`),
/// expiry. Bodies stream from the store.
extension ObjectServer {
    func head(_ head: BackendRequestHead, key: ObjectKey, store: any ObjectStore) async throws -> StorageResponse {
        switch try await readable(head, key: key, store: store) {
        case .answer(let response): return response
        case .object(let metadata):
            var headers = responseHeaders(metadata)
            headers["Content-Length"] = String(metadata.contentLength)
            return StorageResponse(status: 200, headers: headers)
        }
    }

    func get(_ head: BackendRequestHead, key: ObjectKey, store: any ObjectStore) async throws -> StorageResponse {
        let metadata: ObjectMetadata
        switch try await readable(head, key: key, store: store) {
        case .answer(let response): return response
        case .object(let found): metadata = found
        }
        var headers = responseHeaders(metadata)
        let size = metadata.contentLength
        let ranges = head.headers["Range"].flatMap(ByteRanges.init(header:))?.resolve(length: Int64(size))
            .map { Int($0.lowerBound)...Int($0.upperBound) }
        guard let ranges else {
            guard let reader = try await store.get(key, range: nil) else { return StorageResponse(.notFound) }
            headers["Content-Length"] = String(size)
            return StorageResponse(status: 200, headers: headers, body: reader.body)
        }
        guard let first = ranges.first else {
            return StorageResponse(.rangeNotSatisfiable, headers: ["Content-Range": "bytes */\(size)"])
        }
        if ranges.count == 1 {
            guard let reader = try await store.get(key, range: first) else { return StorageResponse(.notFound) }
            headers["Content-Length"] = String(first.count)
            headers["Content-Range"] = "bytes \(first.lowerBound)-\(first.upperBound)/\(size)"
            return StorageResponse(status: 206, headers: headers, body: reader.body)
        }
        let multipart = ByterangesBody(
            ranges: ranges, sizeBytes: size, contentType: metadata.contentType,
            boundary: ByterangesBody.boundary(etag: metadata.etag, timestamp: metadata.timestamp)
        ) { range in
            guard let reader = try await store.get(key, range: range), reader.metadata.timestamp == metadata.timestamp else {
                throw ObjectStoreError.corrupt(path: key.path)
            }
            return reader.body
        }
        headers["Content-Type"] = "multipart/byteranges;boundary=\(multipart.boundary)"
        headers["Content-Length"] = String(multipart.contentLength)
        return StorageResponse(status: 206, headers: headers, body: multipart.stream())
    }

    // MARK: Internals

    enum Readable {
        case answer(StorageResponse)
        case object(ObjectMetadata)
    }

    /// The live object a read is about, or the answer when there is none or a condition fails.
    private func readable(_ head: BackendRequestHead, key: ObjectKey, store: any ObjectStore) async throws -> Readable {
        let metadata: ObjectMetadata
        switch try await find(key, in: store, at: now()) {
        case .missing: return .answer(StorageResponse(.notFound))
        case .deleted(let timestamp):
            return .answer(StorageResponse(.notFound, headers: [BackendHeader.backendTimestamp: timestamp.internal]))
        case .expired(let expired):
            return .answer(StorageResponse(.notFound, headers: [BackendHeader.backendTimestamp: expired.timestamp.internal]))
        case .live(let found): metadata = found
        }
        let condition = ConditionalRequest { head.headers[$0] }
        switch condition.evaluateRead(etag: metadata.etag, lastModified: metadata.lastModifiedSeconds) {
        case .proceed: return .object(metadata)
        case .notModified:
            let headers = responseHeaders(metadata).filter { $0.name != "Content-Type" }
            return .answer(.empty(304, headers: HeaderFields(headers.map { ($0.name, $0.value) })))
        case .preconditionFailed:
            return .answer(StorageResponse(.preconditionFailed, headers: [
                "ETag": metadata.quotedETag, "Last-Modified": HTTPDateParser.format(seconds: metadata.lastModifiedSeconds),
            ]))
        }
    }

    /// Every header a GET or HEAD of `metadata` carries except the length.
    private func responseHeaders(_ metadata: ObjectMetadata) -> HeaderFields {
        var headers: HeaderFields = [
            "Content-Type": metadata.contentType,
            "ETag": metadata.quotedETag,
            "X-Timestamp": metadata.timestamp.normal,
            BackendHeader.backendTimestamp: metadata.timestamp.internal,
            "Last-Modified": HTTPDateParser.format(seconds: metadata.lastModifiedSeconds),
            "Accept-Ranges": "bytes",
        ]
        for (name, value) in metadata.userMetadata.sorted(by: { $0.key < $1.key }) {
            headers.add("X-Object-Meta-" + name.headerTitleCased, value)
        }
        for (name, value) in metadata.otherHeaders.sorted(by: { $0.key < $1.key }) {
            headers.add(name.headerTitleCased, value)
        }
        return headers
    }
}
