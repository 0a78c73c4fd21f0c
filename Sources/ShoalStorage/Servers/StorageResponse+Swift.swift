import Foundation
import Logging
import ShoalCore
import ShoalPorts
import ShoalSQLite
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

    /// A plain-text answer (middlewares' errors such as "Upload exceeds quota.").
    static func text(_ status: Int, _ text: String) -> StorageResponse {
        StorageResponse(SwiftError(status: status, body: text, contentType: "text/plain; charset=UTF-8"))
    }

    /// A server role's answer to an error it did not map itself: Swift's errors as they
    /// are, listing-query errors with their status, anything else a logged 500.
    static func failure(_ error: any Error, role: String, head: BackendRequestHead, logger: Logger) -> StorageResponse {
        switch error {
        case let error as SwiftError:
            return StorageResponse(error)
        case let error as ListingQueryError:
            return StorageResponse(SwiftError(status: error.status, body: error.message))
        case _ where isOutOfSpace(error):
            return .deviceFull(head, logger: logger)
        default:
            logger.error("\(role) server failed", metadata: ["path": "\(head.path)", "method": "\(head.method)", "error": "\(error)"])
            return .serverError("\(error)")
        }
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

    /// Swift's 507 for a device that is full or inside its reserve, logged.
    static func deviceFull(_ head: BackendRequestHead, logger: Logger) -> StorageResponse {
        logger.warning("device full: insufficient storage", metadata: ["path": "\(head.path)", "device": "\(head.device)"])
        return .insufficientStorage
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

    /// The comma-separated devices in `deviceHeader` (invalid ids skipped), and the
    /// addresses `hostHeader` names for them when it lists one valid address per device
    /// (Swift's `X-Container-Host` beside `X-Container-Device`).
    func updateTargets(devices deviceHeader: String, hosts hostHeader: String)
        -> (devices: [DeviceID], addresses: [DeviceID: ClusterAddress])
    {
        func items(_ name: String) -> [String] {
            (headers[name] ?? "").split(separator: ",").map { String($0).trimmingWhitespace() }
        }
        let names = items(deviceHeader)
        let devices = names.compactMap(DeviceID.init)
        let hosts = items(hostHeader).compactMap(ClusterAddress.init)
        guard hosts.count == names.count, devices.count == names.count else { return (devices, [:]) }
        return (devices, Dictionary(zip(devices, hosts), uniquingKeysWith: { first, _ in first }))
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

/// Reads and drops a body nobody needs (a request's that carries nothing, an update's
/// answer), so the transport's stream completes.
func drain(_ body: ChunkStream?) async {
    guard let body else { return }
    do { for try await _ in body {} } catch {}
}
