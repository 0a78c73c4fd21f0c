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
        let requested = head.headers["Range"].flatMap(ByteRanges.init(header:))
        // A whole read (no Range, or one that does not parse, which Swift ignores) opens the
        // object once: the reader's metadata is what the conditions and headers are about,
        // so they describe the very body that is sent. Nothing there (deleted, missing, or a
        // damaged replica just quarantined): the state is looked up for the 404's timestamp.
        if requested == nil, let reader = try await store.get(key, range: nil) {
            switch readable(head, found: Found(present: reader.metadata, at: now())) {
            case .answer(let response): return response  // the reader goes, closing its file
            case .object(let metadata):
                var headers = responseHeaders(metadata)
                headers["Content-Length"] = String(metadata.contentLength)
                return StorageResponse(status: 200, headers: headers, body: reader.body)
            }
        }
        let metadata: ObjectMetadata
        switch try await readable(head, key: key, store: store) {
        case .answer(let response): return response
        case .object(let found): metadata = found
        }
        var headers = responseHeaders(metadata)
        let size = metadata.contentLength
        let ranges = requested?.resolve(length: Int64(size)).map { Int($0.lowerBound)...Int($0.upperBound) }
        guard let ranges else {
            // Here only when the object appeared between the read above and the look: a
            // third version since would not be what the conditions were checked against.
            guard let reader = try await store.get(key, range: nil) else { return StorageResponse(.notFound) }
            guard reader.metadata.timestamp == metadata.timestamp else { return StorageResponse(.serviceUnavailable) }
            headers["Content-Length"] = String(size)
            return StorageResponse(status: 200, headers: headers, body: reader.body)
        }
        guard let first = ranges.first else {
            return StorageResponse(.rangeNotSatisfiable, headers: ["Content-Range": "bytes */\(size)"])
        }
        if ranges.count == 1 {
            // The range was resolved against the version looked at; another one since (an
            // overwrite of another size) would send bytes the headers do not describe, or
            // not have them at all. The proxy takes a 503 to the next replica, as for any
            // failed replica.
            let found: ObjectReader?
            do {
                found = try await store.get(key, range: first)
            } catch ObjectStoreError.rangeNotSatisfiable {
                return StorageResponse(.serviceUnavailable)
            }
            guard let reader = found else { return StorageResponse(.notFound) }
            guard reader.metadata.timestamp == metadata.timestamp else { return StorageResponse(.serviceUnavailable) }
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
        readable(head, found: try await find(key, in: store, at: now()))
    }

    /// The answer to a read of what was `found`, or its metadata when the body is to be sent.
    private func readable(_ head: BackendRequestHead, found: Found) -> Readable {
        let metadata: ObjectMetadata
        switch found {
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
