import ShoalCore
import ShoalPorts

/// Swift's `gatekeeper`: clients may neither send nor see the headers the storage stack
/// keeps for itself — backend headers (`X-Backend-*`) and system metadata
/// (`X-{Account,Container,Object}-Sysmeta-*`, `X-Object-Transient-Sysmeta-*`). The top of
/// the pipeline, so every middleware below may rely on them.
public struct Gatekeeper: StorageHandler {
    static let reservedPrefixes = [
        "x-backend-", "x-account-sysmeta-", "x-container-sysmeta-", "x-object-sysmeta-", "x-object-transient-sysmeta-",
    ]

    let next: any StorageHandler

    public init(next: any StorageHandler) {
        self.next = next
    }

    public func handle(_ request: StorageRequest) async -> StorageResponse {
        var inbound = request
        inbound.headers = Self.strip(request.headers)
        var response = await next.handle(inbound)
        response.headers = Self.strip(response.headers)
        return response
    }

    static func strip(_ headers: HeaderFields) -> HeaderFields {
        headers.removingPrefixes(reservedPrefixes)
    }
}
