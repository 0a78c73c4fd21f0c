import Foundation
import ShoalCore
import ShoalPorts

/// Swift's `bulk` middleware.
///
/// - Delete: `POST` (or `DELETE`) `/v1/<account>?bulk-delete` with a body of
///   newline-separated, URL-encoded `/container/object` or `/container` paths deletes each,
///   answering a ``BulkResult``.
/// - Extract: `PUT /v1/<account>[/<container>[/<prefix>]]?extract-archive=tar|tar.gz`
///   stores every file of the archive as an object (creating containers named by the
///   first path component when uploading to the account), streaming each file's bytes
///   straight from the request body.
public struct Bulk: StorageHandler {
    public static let maxDeletesPerRequest = 10_000
    /// The longest a line may be: a container name, an object name and the slashes.
    static let maxPathBytes = 256 + 1_024 * 3 + 2

    let next: any StorageHandler

    public init(next: any StorageHandler) {
        self.next = next
    }

    public func handle(_ request: StorageRequest) async -> StorageResponse {
        if request.method == "PUT", let format = request.query["extract-archive"] { return await extract(request, format: format) }
        guard request.query["bulk-delete"] != nil, request.method == "POST" || request.method == "DELETE" else {
            return await next.handle(request)
        }
        let limit = Self.maxDeletesPerRequest * (Self.maxPathBytes + 1)
        guard let body = try? await (request.body ?? .empty).collect(upTo: limit) else {
            return BulkResult(counts: [("Number Deleted", 0), ("Number Not Found", 0)], status: "413 Request Entity Too Large",
                              responseBody: "Maximum Bulk Deletes: \(Self.maxDeletesPerRequest) per request")
                .response(accept: request.headers["Accept"])
        }
        let lines = String(decoding: body, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        guard lines.count <= Self.maxDeletesPerRequest else {
            return BulkResult(counts: [("Number Deleted", 0), ("Number Not Found", 0)], status: "413 Request Entity Too Large",
                              responseBody: "Maximum Bulk Deletes: \(Self.maxDeletesPerRequest) per request")
                .response(accept: request.headers["Accept"])
        }
        var deleted = 0, notFound = 0
        var errors: [(path: String, status: String)] = []
        for line in lines {
            let decoded = line.removingPercentEncoding ?? line
            let trimmed = decoded.hasPrefix("/") ? String(decoded.dropFirst()) : decoded
            let parts = trimmed.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let container = parts.first, !container.isEmpty, parts.count == 1 || !parts[1].isEmpty else {
                errors.append((line, "400 Bad Request"))
                continue
            }
            let object = parts.count > 1 ? parts[1] : nil
            let result = await next.handle(StorageRequest(
                method: "DELETE", account: request.account, container: container, object: object,
                headers: request.headers.filtered(keeping: ["X-Auth-Token", "X-Storage-Token"]), environment: request.environment))
            switch result.status {
            case 200..<300: deleted += 1
            case 404: notFound += 1
            case 409: errors.append((line, "409 Conflict"))
            case 401, 403: errors.append((line, "\(result.status) \(result.status == 401 ? "Unauthorized" : "Forbidden")"))
            default: errors.append((line, "\(result.status)"))
            }
        }
        let status = errors.isEmpty ? "200 OK" : (errors.allSatisfy { $0.status.hasPrefix("409") } ? "409 Conflict" : "400 Bad Request")
        return BulkResult(counts: [("Number Deleted", deleted), ("Number Not Found", notFound)], errors: errors, status: status)
            .response(accept: request.headers["Accept"])
    }
}

// MARK: Archive extraction

extension Bulk {
    public static let maxContainersPerExtraction = 10_000

    func extract(_ request: StorageRequest, format: String) async -> StorageResponse {
        let accept = request.headers["Accept"]
        func failed(_ status: String, _ body: String, created: Int = 0, errors: [(path: String, status: String)] = []) -> StorageResponse {
            BulkResult(counts: [("Number Files Created", created)], errors: errors, status: status, responseBody: body)
                .response(accept: accept)
        }
        let gzip: Bool
        switch format.lowercased() {
        case "tar": gzip = false
        case "tar.gz", "tgz": gzip = true
        default:
            let body = Array("Unsupported archive format".utf8)
            return StorageResponse(status: 400, headers: ["Content-Type": "text/plain; charset=UTF-8",
                                                          "Content-Length": String(body.count)], body: .bytes(body))
        }
        let reader: TarReader
        do { reader = try TarReader(body: request.body ?? .empty, gzip: gzip) } catch {
            return failed("400 Bad Request", "Invalid Tar File: \(error)")
        }
        let auth = request.headers.filtered(keeping: ["X-Auth-Token", "X-Storage-Token"])
        var created = 0
        var errors: [(path: String, status: String)] = []
        var containersMade: Set<String> = []
        do {
            while let entry = try await reader.next() {
                var name = entry.name
                while name.hasPrefix("./") { name.removeFirst(2) }
                while name.hasPrefix("/") { name.removeFirst() }
                guard !name.isEmpty, !name.hasSuffix("/") else { continue }
                let container: String, object: String
                if let target = request.container {
                    container = target
                    object = request.object.map { $0.hasSuffix("/") ? $0 + name : $0 + "/" + name } ?? name
                } else {
                    guard let slash = name.firstIndex(of: "/"), name.index(after: slash) < name.endIndex else {
                        errors.append((name, "400 Bad Request"))
                        continue
                    }
                    container = String(name[..<slash])
                    object = String(name[name.index(after: slash)...])
                    if !containersMade.contains(container) {
                        guard containersMade.count < Self.maxContainersPerExtraction else {
                            return failed("400 Bad Request", "More than \(Self.maxContainersPerExtraction) containers to create from tar.",
                                          created: created, errors: errors)
                        }
                        let made = await next.handle(StorageRequest(method: "PUT", account: request.account, container: container,
                                                                    headers: auth, environment: request.environment))
                        guard made.isSuccess else {
                            errors.append(("/\(container)", "\(made.status)"))
                            continue
                        }
                        containersMade.insert(container)
                    }
                }
                var headers = auth
                headers["Content-Length"] = String(entry.size)
                let stored = await next.handle(StorageRequest(
                    method: "PUT", account: request.account, container: container, object: object, headers: headers,
                    body: entry.body, environment: request.environment))
                if stored.status == 201 { created += 1 } else { errors.append(("/\(container)/\(object)", "\(stored.status)")) }
            }
        } catch {
            return failed("400 Bad Request", "Invalid Tar File: \(error)", created: created, errors: errors)
        }
        return BulkResult(counts: [("Number Files Created", created)], errors: errors,
                          status: errors.isEmpty ? "201 Created" : "400 Bad Request").response(accept: accept)
    }
}
