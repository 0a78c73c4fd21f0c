import ShoalCore
import ShoalPorts
import ShoalSwiftAPI

/// Swift's object controller (`swift/proxy/controllers/obj.py`).
extension ProxyServer {
    func handleObject(_ request: StorageRequest) async -> StorageResponse {
        switch request.method {
        case "GET", "HEAD": return await getOrHeadObject(request)
        case "PUT":
            if request.headers["X-Copy-From"] != nil { return await copyObject(request) }
            return await putObject(request)
        case "COPY": return await copyObject(request)
        case "DELETE", "POST": return await deleteOrPostObject(request)
        default: return StorageResponse(.methodNotAllowed)
        }
    }

    // MARK: GET / HEAD

    func getOrHeadObject(_ request: StorageRequest) async -> StorageResponse {
        let snapshot = await snapshot()
        let account = request.account, container = request.container!, object = request.object!
        let partition = partition(snapshot, account: account, container: container, object: object)
        var headers = Self.forwardable(request.headers)
        headers.remove("X-Newest")
        let result = await firstAnswer(readOrder(snapshot, partition: partition), on: .object, head: { device in
            BackendRequestHead(method: request.method, device: device.id, partition: partition, account: account,
                               container: container, object: object, query: request.query, headers: headers)
        }, accept: { status in (200..<300).contains(status) || [304, 412, 416].contains(status) })
        return readResponse(result, method: request.method, path: request.path)
    }

    // MARK: Container existence

    enum ContainerCheck {
        case exists(HeaderFields)
        case missing
        case unavailable
    }

    /// Swift's answer when an object write's container is missing (404) or cannot be
    /// checked (503); nil when it exists.
    func refusalUnlessContainerExists(account: String, container: String, snapshot: ClusterSnapshot) async -> StorageResponse? {
        switch await containerExists(account: account, container: container, snapshot: snapshot) {
        case .missing: StorageResponse(.notFound)
        case .unavailable: StorageResponse(.serviceUnavailable)
        case .exists: nil
        }
    }

    /// Whether the container exists, from this proxy's short cache or a container HEAD.
    func containerExists(account: String, container: String, snapshot: ClusterSnapshot) async -> ContainerCheck {
        let key = "\(account)/\(container)"
        let now = configuration.now().seconds
        if let entry = containerInfo.lookup(key, now: now, ttl: configuration.containerInfoTTLSeconds) {
            return entry.exists ? .exists(entry.headers) : .missing
        }
        let partition = partition(snapshot, account: account, container: container)
        let result = await firstAnswer(readOrder(snapshot, partition: partition), on: .container, head: { device in
            BackendRequestHead(method: "HEAD", device: device.id, partition: partition, account: account, container: container)
        }, accept: { (200..<300).contains($0) })
        if let winner = result.winner?.response {
            await Self.drain(winner.body)
            containerInfo.store(key, .init(exists: true, headers: winner.headers, fetchedAt: now))
            return .exists(winner.headers)
        }
        guard result.statuses.contains(404) else { return .unavailable }
        containerInfo.store(key, .init(exists: false, headers: HeaderFields(), fetchedAt: now))
        return .missing
    }

    // MARK: PUT

    /// Swift's `check_object_creation` and the proxy's header work before a PUT.
    func checkObjectCreation(_ request: StorageRequest, now: SwiftTimestamp) throws(SwiftError) -> HeaderFields {
        let constraints = configuration.constraints
        let object = request.object!
        guard object.utf8.count <= constraints.maxObjectNameLength else {
            throw .badRequest("Object name length of \(object.utf8.count) longer than \(constraints.maxObjectNameLength)")
        }
        let chunked = request.headers["Transfer-Encoding"]?.lowercased().contains("chunked") ?? false
        let length = request.headers.integer("Content-Length")
        if request.headers["Content-Length"] != nil, length == nil { throw .badRequest("Invalid Content-Length") }
        guard length != nil || chunked else { throw .lengthRequired }
        if let length, Int64(length) > constraints.maxFileSize { throw .requestTooLarge }
        try validateMetadata(request.headers, target: .object)
        var headers = Self.forwardable(request.headers)
        if headers["Content-Type"] == nil || headers["X-Detect-Content-Type"]?.lowercased() == "true" {
            headers["Content-Type"] = ContentTypeGuess.contentType(forObject: object)
        }
        headers.remove("X-Detect-Content-Type")
        try applyDeleteAfter(&headers, now: now)
        headers[BackendHeader.timestamp] = now.internal
        if let length { headers["Content-Length"] = String(length) }
        return headers
    }

    /// `X-Delete-After` becomes `X-Delete-At`; a time in the past is Swift's 400.
    func applyDeleteAfter(_ headers: inout HeaderFields, now: SwiftTimestamp) throws(SwiftError) {
        if let after = headers["X-Delete-After"] {
            guard let seconds = Int64(after.trimmingWhitespace()) else { throw .badRequest("Non-integer X-Delete-After") }
            guard seconds >= 0 else { throw .badRequest("X-Delete-After in past") }
            headers.remove("X-Delete-After")
            headers[BackendHeader.deleteAt] = String(Int64(now.seconds.rounded(.up)) + seconds)
        }
        if let at = headers[BackendHeader.deleteAt] {
            guard let when = Int64(at.trimmingWhitespace()) else { throw .badRequest("Non-integer X-Delete-At") }
            guard Double(when) >= now.seconds else { throw .badRequest("X-Delete-At in past") }
        }
    }

    func putObject(_ request: StorageRequest, sourceBody: ChunkStream? = nil) async -> StorageResponse {
        let now = configuration.now()
        let headers: HeaderFields
        do { headers = try checkObjectCreation(request, now: now) } catch { return StorageResponse(error) }
        let account = request.account, container = request.container!, object = request.object!
        let snapshot = await snapshot()
        if let refusal = await refusalUnlessContainerExists(account: account, container: container, snapshot: snapshot) {
            return refusal
        }
        let ring = snapshot.ring
        let partition = partition(snapshot, account: account, container: container, object: object)
        let targets = writeTargets(snapshot, partition: partition)
        let quorum = QuorumTracker.quorum(for: ring.replicaCount)
        guard targets.count(where: { !$0.isLeaving }) >= quorum else {
            logger.error("too few live devices for a write", metadata: ["path": "\(request.path)", "targets": "\(targets.count)"])
            return StorageResponse(.serviceUnavailable)
        }
        let containerPartition = self.partition(snapshot, account: account, container: container)
        let pairing = Self.updates(for: targets, replicas: ring.primaries(of: containerPartition))
        let queues = targets.map { _ in BoundedChunkQueue(depth: configuration.putQueueDepth) }
        let tee = BodyTee(queues: queues, stallTimeout: configuration.chunkStallTimeout, clock: configuration.clock,
                          minimumLive: quorum, maximumBytes: configuration.constraints.maxFileSize,
                          expectedBytes: headers.integer("Content-Length").map(Int64.init))
        let body = sourceBody ?? request.body ?? .empty

        // One task per target, which its queue cancels when it fails the target (stalled or
        // gone) and which a cancelled client request cancels too.
        let requests = zip(targets, queues).map { target, queue in
            var head = BackendRequestHead(method: "PUT", device: target.device.id, partition: partition, account: account,
                                          container: container, object: object, query: request.query, headers: headers)
            if tee.sendsFooter { head.headers[BackendHeader.etagFooter] = "md5" }
            let updates = pairing[target.device.id] ?? []
            if !updates.isEmpty {
                head.headers[BackendHeader.containerPartition] = String(containerPartition)
                head.headers[BackendHeader.containerDevice] = updates.map(\.id.rawValue).joined(separator: ",")
                head.headers[BackendHeader.containerHost] = updates.map { "\($0.address)" }.joined(separator: ",")
            }
            let task = Task { [head] in
                let answer = await self.send(head, on: .object, to: target.device, body: queue.stream)
                queue.close()
                await Self.drain(answer.response?.body)
                // A leaving device is written so it stays current, but the quorum is the new owners'.
                return target.isLeaving ? nil : answer
            }
            queue.onFail { task.cancel() }
            return task
        }
        let (outcome, answers) = await withTaskCancellationHandler {
            let outcome = await tee.run(body)
            var answers: [NodeAnswer] = []
            for task in requests { if let answer = await task.value { answers.append(answer) } }
            return (outcome, answers)
        } onCancel: {
            for task in requests { task.cancel() }
        }
        return putResponse(outcome: outcome, answers: answers, request: request, headers: headers, timestamp: now,
                           replicas: ring.replicaCount)
    }

    /// Swift's answer to a PUT older than the stored object: accepted, nothing written.
    static var olderTimestampAccepted: StorageResponse {
        StorageResponse(status: 202, headers: ["Content-Length": "0", "Content-Type": "text/html; charset=UTF-8"])
    }

    func putResponse(outcome: BodyTee.Outcome, answers: [NodeAnswer], request: StorageRequest, headers: HeaderFields,
                     timestamp: SwiftTimestamp, replicas: Int) -> StorageResponse {
        let statuses = answers.map(\.status)
        // Swift's expect-100 checks: If-None-Match met → 412; an older timestamp (409) → 202.
        // Servers answer these before reading the body, so they come first: a large body
        // nobody read is not a failed write.
        if statuses.contains(412) { return StorageResponse(.preconditionFailed) }
        let conflicted = statuses.contains(409) && !statuses.contains(where: { (200..<300).contains($0) })
        if conflicted, statuses.count(where: { $0 == 409 }) >= QuorumTracker.quorum(for: replicas) {
            return Self.olderTimestampAccepted
        }
        switch outcome {
        case .rejected(let error): return StorageResponse(error)
        case .clientFailed(let reason):
            logger.info("client body failed", metadata: ["path": "\(request.path)", "reason": "\(reason)"])
            return StorageResponse(SwiftError(status: 499, body: "Client Disconnect"))
        case .tooFewTargets:
            logger.error("PUT lost its quorum of targets", metadata: ["path": "\(request.path)"])
            return StorageResponse(.serviceUnavailable)
        case .completed: break
        }
        let best = bestResponse(answers, replicas: replicas, path: request.path)
        if best.status / 100 != 2 {
            if conflicted { return Self.olderTimestampAccepted }
            if best.status == 503 { return StorageResponse(.serviceUnavailable) }
            // The servers checked the body against the client's ETag and refused it.
            if best.status == 422 { return StorageResponse(.unprocessable) }
            return StorageResponse(status: best.status, headers: ["Content-Length": "0"])
        }
        // Each replica answers the ETag it stored (the footer's, or its own MD5 of a chunked
        // body); they must agree (Swift's "mismatched etags").
        let etags = Set(answers.filter { $0.status / 100 == 2 }.compactMap { $0.response?.headers["ETag"]?.trimmingQuotes() })
        guard etags.count == 1, let etag = etags.first else {
            logger.error("object servers returned mismatched etags", metadata: ["path": "\(request.path)", "etags": "\(etags)"])
            return StorageResponse(SwiftError(status: 500, body: "Object servers returned \(etags.count) mismatched etags"))
        }
        if let clientETag = request.headers["ETag"]?.trimmingQuotes(), clientETag.lowercased() != etag {
            return StorageResponse(.unprocessable)
        }
        return StorageResponse(status: 201, headers: [
            "ETag": etag, "Last-Modified": HTTPDateParser.format(seconds: timestamp.lastModifiedSeconds),
            "Content-Type": "text/html; charset=UTF-8", "Content-Length": "0",
        ])
    }

    // MARK: COPY

    /// `X-Copy-From` on PUT or the `COPY` method: GET the source through this proxy, then
    /// PUT it to the destination, streaming (Swift's copy middleware).
    func copyObject(_ request: StorageRequest) async -> StorageResponse {
        var source: String
        var destination = (container: request.container!, object: request.object!)
        if request.method == "COPY" {
            guard let target = request.headers["Destination"] else { return StorageResponse(.preconditionFailed("You must provide a Destination header")) }
            guard let parsed = Self.splitContainerObject(target) else {
                return StorageResponse(.preconditionFailed("Destination header must be of the form <container name>/<object name>"))
            }
            destination = parsed
            source = "\(request.container!)/\(request.object!)"
        } else {
            source = request.headers["X-Copy-From"]!
        }
        guard let from = Self.splitContainerObject(source) else {
            return StorageResponse(.preconditionFailed("X-Copy-From header must be of the form <container name>/<object name>"))
        }
        var get = StorageRequest(method: "GET", account: request.headers["X-Copy-From-Account"] ?? request.account,
                                 container: from.container, object: from.object, environment: request.environment)
        for name in ["If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"] { get.headers[name] = request.headers[name] }
        let source200 = await getOrHeadObject(get)
        guard source200.status == 200 else {
            await Self.drain(source200.body)
            return source200.status == 404 ? StorageResponse(.notFound) : source200
        }
        var put = StorageRequest(method: "PUT", account: request.account, container: destination.container,
                                 object: destination.object, query: request.query, environment: request.environment)
        var headers = HeaderFields()
        for field in source200.headers where Self.copiedFromSource(field.name) { headers.add(field.name, field.value) }
        if request.headers["X-Fresh-Metadata"]?.lowercased() == "true" {
            for field in headers.withPrefix("x-object-meta-") { headers.remove(field.name) }
        }
        for field in request.headers where !["x-copy-from", "x-copy-from-account", "destination", "content-length",
                                             "etag", "transfer-encoding"].contains(field.name.lowercased()) {
            headers[field.name] = field.value
        }
        headers["Content-Length"] = source200.headers["Content-Length"]
        if headers["Content-Length"] == nil { headers["Transfer-Encoding"] = "chunked" }
        put.headers = headers
        var response = await putObject(put, sourceBody: source200.body ?? .empty)
        if response.status == 201 {
            response.headers["X-Copied-From"] = "\(from.container)/\(from.object)"
            response.headers["X-Copied-From-Last-Modified"] = source200.headers["Last-Modified"]
        }
        return response
    }

    static func copiedFromSource(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasPrefix("x-object-meta-") || ["content-type", "content-encoding", "content-disposition",
                                                      "content-language", "x-delete-at", "x-object-manifest"].contains(lower)
    }

    /// `container/object` (a leading slash allowed), or nil.
    static func splitContainerObject(_ text: String) -> (container: String, object: String)? {
        let path = text.hasPrefix("/") ? String(text.dropFirst()) : text
        let parts = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    // MARK: DELETE / POST

    func deleteOrPostObject(_ request: StorageRequest) async -> StorageResponse {
        let now = configuration.now()
        var headers = Self.forwardable(request.headers)
        if request.method == "POST" {
            do {
                try validateMetadata(request.headers, target: .object)
                try applyDeleteAfter(&headers, now: now)
            } catch { return StorageResponse(error) }
        }
        headers[BackendHeader.timestamp] = now.internal
        let account = request.account, container = request.container!, object = request.object!
        let snapshot = await snapshot()
        if let refusal = await refusalUnlessContainerExists(account: account, container: container, snapshot: snapshot) {
            return refusal
        }
        let partition = partition(snapshot, account: account, container: container, object: object)
        let containerPartition = self.partition(snapshot, account: account, container: container)
        let targets = writeTargets(snapshot, partition: partition)
        let pairing = Self.updates(for: targets, replicas: snapshot.ring.primaries(of: containerPartition))
        let method = request.method, query = request.query, sendHeaders = headers
        let answers = await fanOut(targets, on: .object) { target in
            var head = BackendRequestHead(method: method, device: target.device.id, partition: partition, account: account,
                                          container: container, object: object, query: query, headers: sendHeaders)
            let updates = pairing[target.device.id] ?? []
            if method == "DELETE" || sendHeaders[BackendHeader.deleteAt] != nil, !updates.isEmpty {
                head.headers[BackendHeader.containerPartition] = String(containerPartition)
                head.headers[BackendHeader.containerDevice] = updates.map(\.id.rawValue).joined(separator: ",")
                head.headers[BackendHeader.containerHost] = updates.map { "\($0.address)" }.joined(separator: ",")
            }
            return head
        }
        let status: Int
        if method == "DELETE" {
            // Each replica says what it held, so a DELETE of an object that only some of its
            // replicas have yet (the partition gained replicas since the write) is a 204.
            status = DeleteVerdict.status(of: answers.map { answer in
                DeleteVerdict.Answer(status: answer.status,
                                     found: answer.response?.headers[BackendHeader.foundTimestamp].flatMap(SwiftTimestamp.init))
            }, replicas: snapshot.ring.replicaCount)
            if status == 503 { logNoQuorum(answers, path: request.path) }
        } else {
            status = bestResponse(answers, replicas: snapshot.ring.replicaCount, path: request.path).status
        }
        switch status {
        case 404: return StorageResponse(.notFound)
        case 503: return StorageResponse(.serviceUnavailable)
        case 412: return StorageResponse(.preconditionFailed)
        default:
            var out = HeaderFields()
            out["Content-Length"] = "0"
            out["Content-Type"] = "text/html; charset=UTF-8"
            return StorageResponse(status: status, headers: out)
        }
    }
}

extension String {
    /// An ETag without its weak prefix (`W/`) and its quotes. Compared byte by byte (the
    /// marks are ASCII): every PUT trims each replica's answer, and the `Character` view's
    /// prefix, suffix and count checks made that 1.2 % of a proxy's work under 4 KiB PUTs.
    func trimmingQuotes() -> String {
        let bytes = utf8
        var start = bytes.startIndex, end = bytes.endIndex
        if bytes.starts(with: "W/".utf8) { start = bytes.index(start, offsetBy: 2) }
        let quote = UInt8(ascii: "\"")
        if bytes.distance(from: start, to: end) >= 2, bytes[start] == quote, bytes[bytes.index(before: end)] == quote {
            start = bytes.index(after: start)
            end = bytes.index(before: end)
        }
        return String(self[start..<end])
    }
}
