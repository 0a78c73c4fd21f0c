import Foundation
import ShoalCore
import ShoalPorts
import ShoalSwiftAPI

/// Swift's `versioned_writes` (the container-header flavour).
///
/// A container with `X-Versions-Location: <archive>` keeps every overwritten version in
/// the archive container as `<3 hex digits of the name's length><name>/<timestamp>`; a
/// DELETE restores the newest archived version (stack mode). With
/// `X-History-Location: <archive>` overwritten and deleted versions are archived and a
/// DELETE leaves a delete marker in the archive (history mode). The archive must be in the
/// same account.
public struct Versioning: StorageHandler {
    static let versionsLocation = "X-Versions-Location"
    static let historyLocation = "X-History-Location"
    static let deleteMarkerType = "application/x-deleted;swift_versions_deleted=1"

    let next: any StorageHandler
    let cache: InfoCache

    /// `cache` is the account and container metadata the pipeline's stages share.
    init(next: any StorageHandler, cache: InfoCache) {
        self.next = next
        self.cache = cache
    }

    enum Mode { case stack, history }

    public func handle(_ request: StorageRequest) async -> StorageResponse {
        guard let container = request.container else { return await next.handle(request) }
        guard let object = request.object else {
            if request.method == "PUT" || request.method == "POST" {
                if request.headers[Self.versionsLocation].map({ !$0.isEmpty }) == true,
                   request.headers[Self.historyLocation].map({ !$0.isEmpty }) == true {
                    return StorageResponse.text(400, "Only one of X-Versions-Location or X-History-Location may be specified")
                }
                await cache.invalidate(account: request.account, container: container)
            }
            return await next.handle(request)
        }
        guard request.method == "PUT" || request.method == "DELETE", request.query["multipart-manifest"] == nil else {
            return await next.handle(request)
        }
        let trusted = request.environment.merging([TempAuth.authorizedBy: "versioning"]) { $1 }
        let info = await cache.info(account: request.account, container: container, next: next, environment: trusted)
        guard (200..<300).contains(info.status) else { return await next.handle(request) }
        let mode: Mode, archive: String
        if let location = info.headers[Self.historyLocation], !location.isEmpty {
            (mode, archive) = (.history, location.removingPercentEncoding ?? location)
        } else if let location = info.headers[Self.versionsLocation], !location.isEmpty {
            (mode, archive) = (.stack, location.removingPercentEncoding ?? location)
        } else {
            return await next.handle(request)
        }
        let context = Context(account: request.account, container: container, object: object, archive: archive, environment: trusted)
        if request.method == "PUT" {
            if let failure = await archiveCurrent(context) { return failure }
            return await next.handle(request)
        }
        switch mode {
        case .history:
            if let failure = await archiveCurrent(context) { return failure }
            let marker = await next.handle(StorageRequest(
                method: "PUT", account: context.account, container: archive, object: context.versionName(timestamp: nowTimestamp()),
                headers: ["Content-Type": Self.deleteMarkerType, "Content-Length": "0"], body: .empty, environment: trusted))
            guard marker.isSuccess else { return StorageResponse.text(503, "Unable to write the delete marker") }
            return await next.handle(request)
        case .stack:
            return await restorePrevious(context, original: request)
        }
    }

    struct Context {
        let account: String
        let container: String
        let object: String
        let archive: String
        let environment: [String: String]

        /// Archive names sort by object, then by time (Swift's `%03x` length prefix).
        var versionPrefix: String {
            let length = String(object.utf8.count, radix: 16)
            return String(repeating: "0", count: max(0, 3 - length.count)) + length + object + "/"
        }

        func versionName(timestamp: String) -> String { versionPrefix + timestamp }
    }

    func nowTimestamp() -> String {
        SwiftTimestamp(seconds: Date().timeIntervalSince1970)?.normal ?? "0000000000.00000"
    }

    /// Copies the current version (if any) into the archive; an error answer when that failed.
    func archiveCurrent(_ context: Context) async -> StorageResponse? {
        let current = await next.handle(StorageRequest(method: "GET", account: context.account, container: context.container,
                                                       object: context.object, environment: context.environment))
        guard current.isSuccess else {
            if let body = current.body { _ = try? await body.collect(upTo: 1 << 20) }
            return current.status == 404 ? nil : StorageResponse.text(503, "Unable to read the current version")
        }
        let timestamp = current.headers["X-Timestamp"].flatMap { SwiftTimestamp($0)?.normal } ?? nowTimestamp()
        var headers = current.headers.filtered(keeping: ["Content-Type", "Content-Length", "ETag", "Content-Encoding",
                                                         "Content-Disposition", "X-Object-Manifest", "X-Static-Large-Object"])
        for field in current.headers.withPrefix("x-object-meta-") { headers.add(field.name, field.value) }
        let copy = await next.handle(StorageRequest(
            method: "PUT", account: context.account, container: context.archive, object: context.versionName(timestamp: timestamp),
            headers: headers, body: current.body ?? .empty, environment: context.environment))
        return copy.isSuccess ? nil : StorageResponse.text(copy.status == 404 ? 412 : 503,
                                                     copy.status == 404 ? "The versions container does not exist" : "Unable to archive the current version")
    }

    /// Stack mode DELETE: the newest archived version replaces the object (and leaves the
    /// archive); with none, the object is deleted.
    func restorePrevious(_ context: Context, original: StorageRequest) async -> StorageResponse {
        let listing = await next.handle(StorageRequest(
            method: "GET", account: context.account, container: context.archive,
            query: ["format": "json", "prefix": context.versionPrefix, "reverse": "true", "limit": "1"], environment: context.environment))
        guard listing.isSuccess, let bytes = try? await listing.body?.collect(upTo: 1 << 20),
              let entries = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [[String: Any]],
              let newest = entries.first?["name"] as? String
        else { return await next.handle(original) }
        let archived = await next.handle(StorageRequest(method: "GET", account: context.account, container: context.archive,
                                                        object: newest, environment: context.environment))
        guard archived.isSuccess else { return await next.handle(original) }
        var headers = archived.headers.filtered(keeping: ["Content-Type", "Content-Length", "ETag", "Content-Encoding",
                                                          "Content-Disposition", "X-Object-Manifest", "X-Static-Large-Object"])
        for field in archived.headers.withPrefix("x-object-meta-") { headers.add(field.name, field.value) }
        let restored = await next.handle(StorageRequest(
            method: "PUT", account: context.account, container: context.container, object: context.object,
            headers: headers, body: archived.body ?? .empty, environment: context.environment))
        guard restored.isSuccess else { return StorageResponse.text(503, "Unable to restore the previous version") }
        _ = await next.handle(StorageRequest(method: "DELETE", account: context.account, container: context.archive,
                                             object: newest, environment: context.environment))
        return StorageResponse(status: 204, headers: ["Content-Type": "text/html; charset=UTF-8", "Content-Length": "0"])
    }
}
