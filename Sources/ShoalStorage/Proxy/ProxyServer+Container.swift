import ShoalCore
import ShoalPorts
import ShoalSwiftAPI

/// Swift's container and account controllers (`swift/proxy/controllers/{container,account}.py`).
extension ProxyServer {
    func handleContainer(_ request: StorageRequest) async -> StorageResponse {
        let container = request.container!
        switch request.method {
        case "GET", "HEAD":
            return await read(request, on: .container, container: container)
        case "PUT", "POST":
            do {
                if request.method == "PUT" { try validateContainerName(container) }
                try validateMetadata(request.headers, target: .container)
            } catch { return StorageResponse(error) }
            if request.method == "PUT", configuration.accountAutocreate {
                if let failure = await autocreateAccountIfMissing(request.account) { return failure }
            }
            return await writeContainer(request)
        case "DELETE":
            return await writeContainer(request)
        default:
            return StorageResponse(.methodNotAllowed)
        }
    }

    func handleAccount(_ request: StorageRequest) async -> StorageResponse {
        switch request.method {
        case "GET", "HEAD":
            let response = await read(request, on: .account, container: nil)
            if response.status == 404, configuration.accountAutocreate {
                return emptyAccountListing(request)
            }
            return response
        case "POST":
            do { try validateMetadata(request.headers, target: .account) } catch { return StorageResponse(error) }
            let response = await writeAccount(request)
            guard response.status == 404, configuration.accountAutocreate else { return response }
            if let failure = await autocreateAccountIfMissing(request.account) { return failure }
            return await writeAccount(request)
        case "PUT":
            // Accounts come into being by autocreate; an explicit PUT is for the reseller only.
            guard request.environment[TempAuth.resellerKey] == "true" else { return StorageResponse(.methodNotAllowed) }
            do { try validateMetadata(request.headers, target: .account) } catch { return StorageResponse(error) }
            return await writeAccount(request)
        case "DELETE":
            // The reseller deletes an account; the ``AccountReaper`` then removes its contents.
            guard request.environment[TempAuth.resellerKey] == "true" else { return StorageResponse(.methodNotAllowed) }
            return await writeAccount(request)
        default:
            return StorageResponse(.methodNotAllowed)
        }
    }

    /// GET or HEAD of an account or container: one node at a time, the first 2xx wins.
    func read(_ request: StorageRequest, on channel: Envelope.Channel, container: String?) async -> StorageResponse {
        let snapshot = await snapshot()
        let partition = partition(snapshot, account: request.account, container: container)
        var headers = Self.forwardable(request.headers)
        headers.remove("X-Newest")
        var query = request.query
        if request.method == "GET" {
            // Negotiate here so a bad format is Swift's 400 before any backend work.
            do {
                let format = try ListingFormat.negotiate(query: request.query["format"], accept: request.headers["Accept"])
                query["format"] = format.rawValue
            } catch { return StorageResponse(error) }
        }
        let result = await firstAnswer(readOrder(snapshot, partition: partition), on: channel, head: { device in
            BackendRequestHead(method: request.method, device: device.id, partition: partition, account: request.account,
                               container: container, query: query, headers: headers)
        }, accept: { (200..<300).contains($0) })
        if let container, result.winner != nil {
            containerInfo.store("\(request.account)/\(container)",
                                .init(exists: true, headers: result.winner!.response!.headers, fetchedAt: configuration.now().seconds))
        }
        return readResponse(result, method: request.method, path: request.path)
    }

    /// What Swift answers for an account that does not exist yet under `account_autocreate`:
    /// counts of zero and an empty listing (204 in plain text, 200 with `[]` or empty XML).
    func emptyAccountListing(_ request: StorageRequest) -> StorageResponse {
        let format: ListingFormat
        do { format = try ListingFormat.negotiate(query: request.query["format"], accept: request.headers["Accept"]) } catch {
            return StorageResponse(error)
        }
        let now = configuration.now()
        var headers: HeaderFields = [
            "X-Account-Container-Count": "0", "X-Account-Object-Count": "0", "X-Account-Bytes-Used": "0",
            "X-Timestamp": now.normal, "X-Put-Timestamp": now.normal, "Content-Type": format.contentType,
        ]
        let body = format == .plain ? "" : ListingRenderer.render([ContainerListing](), format: format, account: request.account)
        headers["Content-Length"] = String(body.utf8.count)
        return StorageResponse(status: body.isEmpty ? 204 : 200, headers: headers,
                               body: request.method == "HEAD" || body.isEmpty ? nil : .bytes(Array(body.utf8)))
    }

    /// Creates the account when a HEAD finds it missing; a response to return on failure, else nil.
    func autocreateAccountIfMissing(_ account: String) async -> StorageResponse? {
        let snapshot = await snapshot()
        let partition = partition(snapshot, account: account)
        let result = await firstAnswer(readOrder(snapshot, partition: partition), on: .account, head: { device in
            BackendRequestHead(method: "HEAD", device: device.id, partition: partition, account: account)
        }, accept: { (200..<300).contains($0) })
        if let winner = result.winner {
            await Self.drain(winner.response?.body)
            return nil
        }
        guard result.statuses.contains(404) else { return StorageResponse(.serviceUnavailable) }
        logger.info("autocreating account", metadata: ["account": "\(account)"])
        let response = await writeAccount(StorageRequest(method: "PUT", account: account))
        return response.isSuccess ? nil : StorageResponse(.serviceUnavailable)
    }

    /// Fans a PUT, POST or DELETE out to the account's replicas.
    func writeAccount(_ request: StorageRequest) async -> StorageResponse {
        let snapshot = await snapshot()
        let partition = partition(snapshot, account: request.account)
        var headers = Self.forwardable(request.headers)
        headers[BackendHeader.timestamp] = configuration.now().internal
        let sendHeaders = headers, method = request.method, account = request.account
        let answers = await fanOut(writeTargets(snapshot, partition: partition), on: .account) { target in
            BackendRequestHead(method: method, device: target.device.id, partition: partition, account: account, headers: sendHeaders)
        }
        return statusResponse(bestResponse(answers, replicas: snapshot.ring.replicaCount, path: request.path).status)
    }

    /// Fans a container PUT, POST or DELETE out; PUT and DELETE tell each container
    /// replica which account replica to update (1:1 like Swift).
    func writeContainer(_ request: StorageRequest) async -> StorageResponse {
        let snapshot = await snapshot()
        let account = request.account, container = request.container!
        let ring = snapshot.ring
        let partition = partition(snapshot, account: account, container: container)
        let accountPartition = self.partition(snapshot, account: account)
        let targets = writeTargets(snapshot, partition: partition)
        let pairing = Self.updates(for: targets, replicas: ring.primaries(of: accountPartition))
        var headers = Self.forwardable(request.headers)
        headers[BackendHeader.timestamp] = configuration.now().internal
        let sendHeaders = headers, method = request.method
        containerInfo.invalidate("\(account)/\(container)")
        let answers = await fanOut(targets, on: .container) { target in
            var head = BackendRequestHead(method: method, device: target.device.id, partition: partition, account: account,
                                          container: container, headers: sendHeaders)
            let updates = pairing[target.device.id] ?? []
            if method != "POST", !updates.isEmpty {
                head.headers[BackendHeader.accountPartition] = String(accountPartition)
                head.headers[BackendHeader.accountDevice] = updates.map(\.id.rawValue).joined(separator: ",")
                head.headers[BackendHeader.accountHost] = updates.map { "\($0.address)" }.joined(separator: ",")
            }
            return head
        }
        containerInfo.invalidate("\(account)/\(container)")
        var status = bestResponse(answers, replicas: ring.replicaCount, path: request.path).status
        // Swift: a DELETE that every server accepted without having the container is a 404.
        if method == "DELETE", status == 202 { status = 404 }
        return statusResponse(status)
    }

    func statusResponse(_ status: Int) -> StorageResponse {
        switch status {
        case 404: return StorageResponse(.notFound)
        case 409: return StorageResponse(.conflict)
        case 503: return StorageResponse(.serviceUnavailable)
        case 412: return StorageResponse(.preconditionFailed)
        default: return StorageResponse(status: status, headers: ["Content-Length": "0", "Content-Type": "text/html; charset=UTF-8"])
        }
    }
}
