import Hummingbird
import Metrics
import Synchronization

/// Counts requests and times them, labelled by method and status class, for `/metrics`.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The counters and timers made so far, by method and status class: made once, not per request.
    private let handles = Handles()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let method = request.method.rawValue
        do {
            let response = try await next(request, context)
            record(method: method, status: response.status.code, since: start)
            return response
        } catch {
            record(method: method, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: start)
            throw error
        }
    }

    private func record(method: String, status: Int, since start: ContinuousClock.Instant) {
        let (counter, timer) = handles.get(method: method, statusClass: status / 100)
        counter.increment()
        timer.recordNanoseconds(start.nanosecondsElapsed)
    }
}

private final class Handles: Sendable {
    private struct Key: Hashable {
        var method: String
        var statusClass: Int
    }

    private let made = Mutex<[Key: (Counter, Metrics.Timer)]>([:])

    func get(method: String, statusClass: Int) -> (Counter, Metrics.Timer) {
        let key = Key(method: method, statusClass: statusClass)
        if let known = made.withLock({ $0[key] }) { return known }
        let handles = (Counter(label: "shoal_http_requests_total", dimensions: [("method", method), ("status", "\(statusClass)xx")]),
                       Metrics.Timer(label: "shoal_http_request_duration_seconds", dimensions: [("method", method)]))
        made.withLock { if $0.count < 256 { $0[key] = handles } }
        return handles
    }
}

extension ContinuousClock.Instant {
    /// Nanoseconds from `self` to now, as swift-metrics' timers take them.
    var nanosecondsElapsed: Int64 {
        let elapsed = ContinuousClock.now - self
        return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
    }
}
