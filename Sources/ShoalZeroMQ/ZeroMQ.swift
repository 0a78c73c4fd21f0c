import CZeroMQ

/// The ZeroMQ adapter of the cluster transport.
public enum ZeroMQ {
    /// The libzmq version this process linked against, as "major.minor.patch".
    public static var libraryVersion: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}
