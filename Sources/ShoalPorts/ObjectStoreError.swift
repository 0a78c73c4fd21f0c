import ShoalCore

/// Why an ``ObjectStore`` operation failed. The object server maps each to a status.
public enum ObjectStoreError: Error, Equatable, Sendable {
    /// The body's MD5 is not the ETag the client sent (422); nothing was stored.
    case etagMismatch(expected: String, actual: String)
    /// The digest the sender supplied after the body is missing or not an MD5 (400);
    /// nothing was stored.
    case invalidDigest(String)
    /// A version at `existing` is as new or newer than the write (409); nothing was stored.
    case outdated(existing: SwiftTimestamp)
    /// Metadata breaks Swift's limits (400).
    case invalidMetadata(ObjectMetadataLimits.Violation)
    /// The range starts at or past the end of a body of `sizeBytes` (416).
    case rangeNotSatisfiable(sizeBytes: Int)
    /// A stored file could not be decoded (the auditor quarantines it).
    case corrupt(path: String)
    /// A system call failed with `errno`.
    case io(operation: String, errno: Int32)
}
