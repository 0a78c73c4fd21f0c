/// The header names Swift's proxy and servers use between each other on the backend
/// channels, in one place: the proxy sets them, the object, container and account servers
/// read them. Values follow OpenStack Swift (`swift/proxy/controllers/*.py`, `swift/obj/server.py`).
public enum BackendHeader {
    // MARK: Every write
    /// The request's time, `SwiftTimestamp.internal` or `.normal` (required on PUT, POST, DELETE).
    public static let timestamp = "X-Timestamp"
    /// The timestamp a server found (on 404 for a tombstone, on 409 for an older write).
    public static let backendTimestamp = "X-Backend-Timestamp"
    /// On an object DELETE's answer: the time of the version the replica held before it
    /// (its live or expired data's, a POST's when one updated it, or its tombstone's);
    /// absent when it held nothing. The proxy tells "never had it" from "deleted earlier"
    /// by it (``DeleteVerdict``).
    public static let foundTimestamp = "X-Backend-Found-Timestamp"

    // MARK: Proxy → object server
    /// On an object PUT with a Content-Length: the body is followed by an ETag footer, the
    /// 32 lowercase hex digits of the MD5 the proxy computed as the body came in (Swift's
    /// proxy sends footers too, for erasure-coded objects). The object server stores that
    /// ETag instead of hashing the body again; the auditor proves it later.
    public static let etagFooter = "X-Backend-Etag-Footer"
    /// The footer's length.
    public static let etagFooterBytes = 32

    // MARK: Object server → container server (proxy tells the object server where)
    /// Container replica devices for this object, comma-separated (`DeviceID` raw values).
    public static let containerDevice = "X-Container-Device"
    /// The container's partition.
    public static let containerPartition = "X-Container-Partition"
    /// Optional: the container replicas' addresses, comma-separated, in the same order as
    /// `X-Container-Device` (Swift's `X-Container-Host`). Servers resolve devices through
    /// the ring when absent.
    public static let containerHost = "X-Container-Host"
    /// Object row fields sent to the container server.
    public static let size = "X-Size"
    public static let contentType = "X-Content-Type"
    public static let etag = "X-Etag"

    // MARK: Container server → account server (proxy tells the container server where)
    /// Account replica devices for this container, comma-separated.
    public static let accountDevice = "X-Account-Device"
    /// The account's partition.
    public static let accountPartition = "X-Account-Partition"
    /// Optional: the account replicas' addresses, comma-separated (Swift's `X-Account-Host`).
    public static let accountHost = "X-Account-Host"
    /// Container row fields sent to the account server.
    public static let putTimestamp = "X-Put-Timestamp"
    public static let deleteTimestamp = "X-Delete-Timestamp"
    public static let objectCount = "X-Object-Count"
    public static let bytesUsed = "X-Bytes-Used"

    // MARK: Object expiry
    /// Sent by the object expirer on DELETE: only delete if the stored `X-Delete-At` is this.
    public static let ifDeleteAt = "X-If-Delete-At"
    public static let deleteAt = "X-Delete-At"

    // MARK: Storage policy
    /// The storage policy index a container was created with (Swift's backend header).
    public static let storagePolicyIndex = "X-Backend-Storage-Policy-Index"
    /// The client-facing name of the only policy: Swift's default `Policy-0`.
    public static let storagePolicy = "X-Storage-Policy"
    public static let defaultPolicyName = "Policy-0"
}
