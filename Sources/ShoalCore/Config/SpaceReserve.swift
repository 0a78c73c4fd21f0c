/// How much of a device a node keeps free: OpenStack Swift's `fallocate_reserve`, written
/// the same way (`1%`, or a number of bytes). A data write that would leave less free is
/// refused as if the disk were full (507), so a device fills up with a margin left for what
/// must still be written there: tombstones and `.meta` files (never refused), database
/// journals, the node's own bookkeeping. Zero turns the check off. Pure: the caller gives
/// the file system's figures.
public enum SpaceReserve: Hashable, Sendable, CustomStringConvertible {
    case bytes(Int)
    case percent(Double)

    /// Swift's default for its object, container and account servers.
    public static let `default` = SpaceReserve.percent(1)
    /// No reserve: writes are refused only when the disk is full.
    public static let none = SpaceReserve.bytes(0)

    /// Parses `N%` (0 to 100, fractions allowed) or a whole number of bytes.
    public init?(_ text: String) {
        let trimmed = text.trimmingWhitespace()
        if trimmed.hasSuffix("%") {
            guard let value = Double(trimmed.dropLast()), value.isFinite, (0...100).contains(value) else { return nil }
            self = .percent(value)
        } else {
            guard let value = Int(trimmed), value >= 0 else { return nil }
            self = .bytes(value)
        }
    }

    public var description: String {
        switch self {
        case .bytes(let bytes): "\(bytes)"
        case .percent(let percent): "\(percent)%"
        }
    }

    public var isDisabled: Bool {
        switch self {
        case .bytes(let bytes): bytes == 0
        case .percent(let percent): percent == 0
        }
    }

    /// Whether `bytes` more may be written to a file system with `available` of `total`
    /// bytes free (what an unprivileged writer may use, `f_bavail`): true when what is left
    /// after the write is at least the reserve, or when the reserve is off.
    public func allows(writing bytes: Int, available: Int, total: Int) -> Bool {
        guard !isDisabled else { return true }
        let left = available - max(0, bytes)
        switch self {
        case .bytes(let reserve):
            return left >= reserve
        case .percent(let percent):
            guard total > 0 else { return true }
            return Double(left) * 100 / Double(total) >= percent
        }
    }
}
