import Foundation
import Hummingbird
import ShoalCore
import ShoalSwiftAPI
import Synchronization

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
        if response.headers[.date] == nil { response.headers[.date] = DateHeader.now() }
        return response
    }
}

/// The `Date` header's value for now, formatted once per second: every response carries
/// one, and formatting it was about 2 % of a node's request work under 4 KiB GETs.
enum DateHeader {
    private static let last = Mutex<(second: Int64, text: String)>((-1, ""))

    static func now() -> String { text(at: Date()) }

    static func text(at date: Date) -> String {
        let second = Int64(date.timeIntervalSince1970.rounded(.down))
        if let cached = last.withLock({ $0.second == second ? $0.text : nil }) { return cached }
        let text = HTTPDate.format(date)
        last.withLock { $0 = (second, text) }
        return text
    }
}

/// Swift's transaction id format: `tx`, 21 random hex digits, `-`, the time as 10 hex digits.
public enum TransactionID {
    public static func make(now: Date = Date()) -> String {
        // 84 bits that never repeat in this process and differ between processes (Swift
        // takes them from a uuid4): no system call per request.
        let bits = TransactionID.uniqueBytes16()
        let seconds = withUnsafeBytes(of: UInt64(max(0, now.timeIntervalSince1970)).bigEndian) { Array($0.suffix(5)) }
        return "tx" + Hex.encode(bits).prefix(21) + "-" + Hex.encode(seconds)
    }

    /// Drawn once per process from the system generator.
    private static let processSeed: (UInt64, UInt64) = {
        var random = SystemRandomNumberGenerator()
        return (random.next(), random.next())
    }()
    private static let issued = Atomic<UInt64>(0)

    /// 16 bytes from a per-process counter through a bijective mix keyed by the process
    /// seed: distinct for every call of a process (the mix of distinct counters is distinct),
    /// unrelated between processes, and uniform-looking, as a log reader expects of an id.
    /// Ids are for correlating logs, not secrets.
    static func uniqueBytes16() -> [UInt8] {
        let count = issued.wrappingAdd(1, ordering: .relaxed).newValue
        let first = StableHash.mix(count ^ processSeed.0)
        let second = StableHash.mix(first ^ processSeed.1)
        return withUnsafeBytes(of: (first, second)) { Array($0) }
    }
}
