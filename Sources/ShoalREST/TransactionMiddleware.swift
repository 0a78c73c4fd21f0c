import Foundation
import Hummingbird
import ShoalCore
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
        // Two draws of the system generator (one syscall each) give the 84 random bits.
        var random = SystemRandomNumberGenerator()
        let bits = withUnsafeBytes(of: (random.next() as UInt64, random.next() as UInt64)) { Array($0) }
        let seconds = withUnsafeBytes(of: UInt64(max(0, now.timeIntervalSince1970)).bigEndian) { Array($0.suffix(5)) }
        return "tx" + Hex.encode(bits).prefix(21) + "-" + Hex.encode(seconds)
    }
}
