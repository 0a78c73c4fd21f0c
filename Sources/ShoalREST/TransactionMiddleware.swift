import Foundation
import Hummingbird
import ShoalSwiftAPI

/// Gives every response the headers OpenStack services send on every answer, errors and
/// 204s included: `X-Trans-Id` and `X-Openstack-Request-Id` (Swift's `tx` + 21 hex + `-`
/// + 10 hex of the time) and `Date`.
public struct TransactionMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let transactionID = TransactionID.make()
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "trans_id": "\(transactionID)"])
            response = Response(
                status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "An error occurred while processing the request."))
            )
        }
        response.headers[.init("X-Trans-Id")!] = transactionID
        response.headers[.init("X-Openstack-Request-Id")!] = transactionID
        if response.headers[.date] == nil { response.headers[.date] = HTTPDate.now() }
        return response
    }
}

/// Swift's transaction id format: `tx`, 21 random hex digits, `-`, the time as 10 hex digits.
public enum TransactionID {
    public static func make(now: Date = Date()) -> String {
        var random = SystemRandomNumberGenerator()
        let hex = (0..<21).map { _ in String(Int.random(in: 0..<16, using: &random), radix: 16) }.joined()
        let seconds = String(UInt64(now.timeIntervalSince1970), radix: 16)
        return "tx\(hex)-\(String(repeating: "0", count: max(0, 10 - seconds.count)))\(seconds)"
    }
}
