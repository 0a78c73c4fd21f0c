/// Why a container or account broker could not do what was asked, apart from SQLite's own
/// failures (``SQLiteError``).
public enum BrokerError: Error, Hashable, Sendable {
    /// `create` found a database already there (Swift's `DatabaseAlreadyExists`).
    case alreadyExists(path: String)
    /// The database file does not exist: the container or account was never created here.
    case notFound(path: String)
    /// The file exists but does not hold what a broker expects.
    case corrupt(path: String, reason: String)
}
