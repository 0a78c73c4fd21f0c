import ShoalCore
import ShoalPorts
import ShoalSwiftAPI

/// Swift's `container_quotas` and `account_quotas` middlewares.
///
/// - `X-Container-Meta-Quota-Bytes` / `-Quota-Count` (set by anyone who may write the
///   container's metadata) cap a container's bytes and objects.
/// - `X-Account-Meta-Quota-Bytes` / `-Quota-Count` (set only by a reseller admin) cap an account's.
/// An object PUT or COPY that would go over answers 413 "Upload exceeds quota.".
public struct Quotas: StorageHandler {
    static let containerBytes = "X-Container-Meta-Quota-Bytes"
    static let containerCount = "X-Container-Meta-Quota-Count"
    static let accountBytes = "X-Account-Meta-Quota-Bytes"
    static let accountCount = "X-Account-Meta-Quota-Count"

    let next: any StorageHandler
    let cache: InfoCache

    /// `cache` is the account and container metadata the pipeline's stages share.
    init(next: any StorageHandler, cache: InfoCache) {
        self.next = next
        self.cache = cache
    }

    public func handle(_ request: StorageRequest) async -> StorageResponse {
        switch (request.container, request.object, request.method) {
        case (nil, nil, "POST"), (nil, nil, "PUT"):
            if let problem = checkSettings(request.headers, names: [Self.accountBytes, Self.accountCount]) { return problem }
            let changesQuota = [Self.accountBytes, Self.accountCount].contains { request.headers.contains($0) }
                || request.headers.contains("X-Remove-Account-Meta-Quota-Bytes")
            if changesQuota, !isResellerAdmin(request) { return StorageResponse.text(403, "Forbidden") }
            await cache.invalidate(account: request.account, container: nil)
            return await next.handle(request)
        case (.some(let container), nil, "POST"), (.some(let container), nil, "PUT"):
            if let problem = checkSettings(request.headers, names: [Self.containerBytes, Self.containerCount]) { return problem }
            await cache.invalidate(account: request.account, container: container)
            return await next.handle(request)
        case (.some(let container), .some, "PUT"), (.some(let container), .some, "COPY"):
            let room = await checkRoom(request, container: container)
            if let refusal = room.refusal { return refusal }
            let response = await next.handle(request)
            if response.isSuccess {
                // The counts just changed: where a quota holds, the next check on this node
                // reads them afresh. Where none does, the cached answer stays (its metadata
                // did not change), as Swift's cached container info does.
                if room.containerQuota { await cache.invalidate(account: request.account, container: container) }
                if room.accountQuota { await cache.invalidate(account: request.account, container: nil) }
            }
            return response
        default:
            return await next.handle(request)
        }
    }

    func isResellerAdmin(_ request: StorageRequest) -> Bool {
        request.environment[TempAuth.resellerKey] == "true"
    }

    func checkSettings(_ headers: HeaderFields, names: [String]) -> StorageResponse? {
        for name in names {
            guard let value = headers[name], !value.isEmpty else { continue }
            guard Int64(value.trimmingWhitespace()).map({ $0 >= 0 }) == true else {
                return StorageResponse.text(400, "Invalid quota value: \(name) must be a non-negative integer")
            }
        }
        return nil
    }

    /// What ``checkRoom(_:container:)`` found: the 413 to answer, if any, and which of the
    /// container and the account have a quota (their counts matter after the write).
    struct Room {
        var refusal: StorageResponse?
        var containerQuota = false
        var accountQuota = false
    }

    /// The quota headers of one level (container or account) and the usage headers its
    /// HEAD answers with.
    struct Level {
        let quotaBytes: String
        let quotaCount: String
        let bytesUsed: String
        let objectCount: String

        static let container = Level(quotaBytes: Quotas.containerBytes, quotaCount: Quotas.containerCount,
                                     bytesUsed: "X-Container-Bytes-Used", objectCount: "X-Container-Object-Count")
        static let account = Level(quotaBytes: Quotas.accountBytes, quotaCount: Quotas.accountCount,
                                   bytesUsed: "X-Account-Bytes-Used", objectCount: "X-Account-Object-Count")

        /// Whether `headers` name a quota of this level, and whether one more object of
        /// `incoming` bytes would go over it.
        func check(_ headers: HeaderFields, incoming: Int64) -> (hasQuota: Bool, over: Bool) {
            let (bytes, count) = (headers.integer(quotaBytes), headers.integer(quotaCount))
            let overBytes = bytes.map { Int64(headers.integer(bytesUsed) ?? 0) + incoming > Int64($0) } ?? false
            let overCount = count.map { (headers.integer(objectCount) ?? 0) + 1 > $0 } ?? false
            return (bytes != nil || count != nil, overBytes || overCount)
        }
    }

    /// A 413 when this write would take the container or the account over a quota.
    func checkRoom(_ request: StorageRequest, container: String) async -> Room {
        let incoming = Int64(request.headers.integer("Content-Length") ?? 0)
        let trusted = request.environment.merging([TempAuth.authorizedBy: "quotas"]) { $1 }
        var room = Room()
        let containerInfo = await cache.info(account: request.account, container: container, next: next, environment: trusted)
        if (200..<300).contains(containerInfo.status) {
            let result = Level.container.check(containerInfo.headers, incoming: incoming)
            room.containerQuota = result.hasQuota
            if result.over {
                room.refusal = StorageResponse.text(413, "Upload exceeds quota.")
                return room
            }
        }
        let accountInfo = await cache.info(account: request.account, container: nil, next: next, environment: trusted)
        if (200..<300).contains(accountInfo.status) {
            let result = Level.account.check(accountInfo.headers, incoming: incoming)
            room.accountQuota = result.hasQuota
            if result.over { room.refusal = StorageResponse.text(413, "Upload exceeds quota.") }
        }
        return room
    }
}
