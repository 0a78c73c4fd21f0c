import Foundation
import Hummingbird

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

/// RFC 7231 dates (`Sun, 06 Nov 1994 08:49:37 GMT`) for the `Date` and `Last-Modified` headers.
public enum HTTPDate {
    static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func now() -> String { format(Date()) }

    public static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekdays[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
