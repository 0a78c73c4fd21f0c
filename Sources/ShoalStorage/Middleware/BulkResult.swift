import Foundation
import ShoalPorts

/// The summary Swift's bulk middleware (and SLO's manifest delete) answers with, as plain
/// text or, when the client accepts it, JSON (`Number Deleted`, `Number Not Found`,
/// `Number Files Created`, `Response Status`, `Response Body`, `Errors`).
struct BulkResult {
    var counts: [(String, Int)]
    var errors: [(path: String, status: String)] = []
    var status = "200 OK"
    var responseBody = ""

    func response(accept: String?) -> StorageResponse {
        let wantsJSON = (accept ?? "").contains("application/json")
        let text: String
        if wantsJSON {
            var object: [String: Any] = ["Response Status": status, "Response Body": responseBody,
                                         "Errors": errors.map { [$0.path, $0.status] }]
            for (name, value) in counts { object[name] = value }
            text = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
                .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        } else {
            text = counts.map { "\($0.0): \($0.1)\n" }.joined()
                + "Response Body: \(responseBody)\nResponse Status: \(status)\nErrors: \n"
                + errors.map { "\($0.path), \($0.status)\n" }.joined()
        }
        let body = Array(text.utf8)
        return StorageResponse(status: 200, headers: [
            "Content-Type": wantsJSON ? "application/json; charset=utf-8" : "text/plain; charset=utf-8",
            "Content-Length": String(body.count),
        ], body: .bytes(body))
    }
}
