/// The limits of the OpenStack Swift API as Shoal enforces them, with Swift's defaults.
/// Published in `/info` under `swift`, so clients learn them the usual way.
public struct SwiftConstraints: Sendable, Equatable {
    public var maxFileSize: Int64 = 5 * 1024 * 1024 * 1024 + 2
    public var maxMetaNameLength = 128
    public var maxMetaValueLength = 256
    public var maxMetaCount = 90
    public var maxMetaOverallSize = 4096
    public var maxHeaderSize = 8192
    public var maxObjectNameLength = 1024
    public var containerListingLimit = 10_000
    public var accountListingLimit = 10_000
    public var maxAccountNameLength = 256
    public var maxContainerNameLength = 256

    public init() {}

    public static let `default` = SwiftConstraints()
}
