import Foundation
import ShoalCore
import ShoalPorts

/// Swift's `bulk` middleware, delete half: `POST` (or `DELETE`) `/v1/<account>?bulk-delete`
/// with a body of newline-separated, URL-encoded `/container/object` or `/container`
/// paths deletes each (objects before their containers), answering a ``BulkResult``.
public struct Bulk: StorageHandler {
    public static let maxDeletesPerRequest = 10_000
    /// The longest a line may be: a container name, an object name and the slashes.
    static let maxPathBytes = 256 + 1_024 * 3 + 2

    let next: any StorageHandler

    public init(next: any StorageHandler) {
        self.next = next
    }

    public func handle(_ request: StorageRequest) async -> StorageResponse {
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
