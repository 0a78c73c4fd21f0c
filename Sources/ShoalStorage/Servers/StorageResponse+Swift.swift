import ShoalCore
import ShoalPorts
import ShoalSwiftAPI

/// How the server roles answer: Swift's error bodies, text bodies with their content type,
/// and the request parsing every role shares (the required `X-Timestamp`).
extension StorageResponse {
    /// An error answer with Swift's body and content type; `headers` are added.
    init(_ error: SwiftError, headers: HeaderFields = HeaderFields()) {
        var all = headers
        all["Content-Type"] = error.contentType
        all["Content-Length"] = String(error.body.utf8.count)
        self.init(status: error.status, headers: all, body: .bytes(Array(error.body.utf8)))
    }

    /// A status with a text body (a listing); `Content-Length` is set from it.
    init(status: Int, headers: HeaderFields, text: String, contentType: String) {
        var all = headers
        let bytes = Array(text.utf8)
        all["Content-Type"] = contentType
        all["Content-Length"] = String(bytes.count)
        self.init(status: status, headers: all, body: .bytes(bytes))
    }

    /// A status with no body (`Content-Length: 0` unless the headers say otherwise, as HEAD does).
    static func empty(_ status: Int, headers: HeaderFields = HeaderFields()) -> StorageResponse {
        var all = headers
        if !all.contains("Content-Length") { all["Content-Length"] = "0" }
        return StorageResponse(status: status, headers: all)
    }

    static let insufficientStorage = StorageResponse(SwiftError(
        status: 507, body: "<html><h1>Insufficient Storage</h1><p>There was not enough space to save the resource. Drive: </p></html>",
        contentType: "text/html; charset=UTF-8"))

    static func serverError(_ message: String) -> StorageResponse {
        StorageResponse(SwiftError(status: 500, body: message))
    }
}

extension BackendRequestHead {
    /// Swift's `valid_timestamp`: the request's `X-Timestamp`, or its 400.
    func requiredTimestamp() throws(SwiftError) -> SwiftTimestamp {
        guard let text = headers[BackendHeader.timestamp] else { throw .badRequest("Missing timestamp") }
        guard let timestamp = SwiftTimestamp(text) else { throw .badRequest("Invalid X-Timestamp header") }
        return timestamp
    }

    /// The comma-separated devices in `header` (empty items and unknown ids skipped).
    func devices(in header: String) -> [DeviceID] {
        (headers[header] ?? "").split(separator: ",").compactMap { DeviceID(String($0).trimmingWhitespace()) }
    }
}

extension String {
    /// `x-container-meta-color` → `X-Container-Meta-Color`: how Swift's WSGI layer spells
    /// stored header names.
    var headerTitleCased: String {
        split(separator: "-", omittingEmptySubsequences: false)
            .map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }
            .joined(separator: "-")
    }
}
