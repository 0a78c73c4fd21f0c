import Hummingbird
import Metrics

/// Counts requests and times them, labelled by method and status class, for `/metrics`.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
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
        let dimensions = [("method", method), ("status", "\(status / 100)xx")]
        Counter(label: "shoal_http_requests_total", dimensions: dimensions).increment()
        Metrics.Timer(label: "shoal_http_request_duration_seconds", dimensions: [("method", method)])
            .recordNanoseconds(start.nanosecondsElapsed)
    }
}

extension ContinuousClock.Instant {
    /// Nanoseconds from `self` to now, as swift-metrics' timers take them.
    var nanosecondsElapsed: Int64 {
        let elapsed = ContinuousClock.now - self
        return elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
    }
}
