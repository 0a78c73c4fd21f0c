// swift-tools-version:6.0
// Shoal: an OpenStack-compatible cloud as one identical node binary.
//
// Targets follow the layers of ../shared/DESIGN.md; dependencies only point down:
//   1. pure core        ShoalCore, ShoalMembership, ShoalSwiftAPI (no I/O, no clock, no randomness of its own)
//   2. ports            ShoalPorts                          (protocols the services are written against)
//   3. adapters         ShoalZeroMQ (+ CZeroMQ), ShoalSimulation (in-memory twins)
//   4. services         ShoalNode                           (actors carrying out core decisions)
//   5. REST + binary    ShoalREST, shoal
import PackageDescription

/// The pure core and the simulation run millions of hash, ring and protocol steps in the
/// tests; they are optimized in debug builds too (testability stays on), so the suite runs
/// in seconds rather than minutes.
let optimizedEvenInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

/// The node binary is linked by the toolchain's lld with packed relative relocations
/// (DT_RELR, glibc 2.36+): its 66,000 relative relocations take 14 KB instead of 1.5 MB,
/// which the loader no longer reads at every start, about 1.4 MiB less RSS per node.
let compactRelocations: [LinkerSetting] = [
    .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(platforms: [.linux])),
]

let package = Package(
    name: "Shoal",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "shoal", targets: ["shoal"]),
        .executable(name: "shoal-bench", targets: ["ShoalBench"]),
        // For bench/micro, a separate package of microbenchmarks.
        .library(name: "ShoalCore", targets: ["ShoalCore"]),
        .library(name: "ShoalSQLite", targets: ["ShoalSQLite"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // 1. Pure core.
        .target(
            name: "ShoalCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: optimizedEvenInDebug
        ),
        .target(
            name: "ShoalMembership",
            dependencies: ["ShoalCore"],
            swiftSettings: optimizedEvenInDebug
        ),
        .target(
            name: "ShoalSwiftAPI",
            dependencies: ["ShoalCore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "ShoalKeystoneAPI",
            dependencies: [
                "ShoalCore", "ShoalSwiftAPI", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // 2. Ports.
        .target(
            name: "ShoalPorts",
            dependencies: ["ShoalCore"]
        ),
        // 3. Adapters and their in-memory twins.
        .systemLibrary(name: "CZeroMQ", path: "Sources/CZeroMQ"),
        .target(
            name: "ShoalZeroMQ",
            dependencies: ["CZeroMQ", "ShoalCore", "ShoalPorts"]
        ),
        .systemLibrary(name: "CSQLite3", path: "Sources/CSQLite3", pkgConfig: "sqlite3"),
        .target(
            name: "ShoalSQLite",
            dependencies: ["CSQLite3", "ShoalCore", "ShoalPorts"],
            swiftSettings: optimizedEvenInDebug
        ),
        .target(
            name: "ShoalDiskStore",
            dependencies: ["ShoalCore", "ShoalPorts", "CZlib", "CISAL", .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: optimizedEvenInDebug
        ),
        .target(
            name: "ShoalSimulation",
            dependencies: ["ShoalCore", "ShoalMembership", "ShoalPorts"],
            swiftSettings: optimizedEvenInDebug
        ),
        // 4. Services.
        .target(
            name: "ShoalNode",
            dependencies: [
                "ShoalCore", "ShoalMembership", "ShoalPorts", "ShoalZeroMQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib"),
        .systemLibrary(name: "CISAL", path: "Sources/CISAL", providers: [.apt(["libisal-dev"])]),
        .target(
            name: "ShoalStorage",
            // Swift's proxy, object, container and account roles, their updaters and middlewares.
            dependencies: [
                "ShoalCore", "ShoalKeystoneAPI", "ShoalPorts", "ShoalSwiftAPI", "ShoalSQLite", "ShoalDiskStore", "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // 5. REST and the executable.
        .target(
            name: "ShoalIdentity",
            dependencies: [
                "ShoalCore", "ShoalKeystoneAPI", "ShoalPorts", "ShoalSwiftAPI",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ShoalREST",
            dependencies: [
                "ShoalCore", "ShoalIdentity", "ShoalNode", "ShoalPorts", "ShoalStorage", "ShoalSwiftAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "shoal",
            dependencies: [
                "ShoalCore", "ShoalNode", "ShoalREST", "ShoalZeroMQ", "ShoalStorage", "ShoalSwiftAPI", "ShoalDiskStore",
                "ShoalSQLite", "ShoalPorts", "ShoalIdentity", "ShoalKeystoneAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            linkerSettings: compactRelocations
        ),
        .executableTarget(
            name: "ShoalBench",
            dependencies: [
                "ShoalCore", "ShoalMembership", "ShoalSimulation", "ShoalZeroMQ", "ShoalPorts", "ShoalDiskStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "bench/Sources/ShoalBench"
        ),
        .testTarget(name: "ShoalCoreTests", dependencies: ["ShoalCore"]),
        .testTarget(name: "ShoalSwiftAPITests", dependencies: ["ShoalCore", "ShoalSwiftAPI"]),
        .testTarget(name: "ShoalKeystoneAPITests", dependencies: ["ShoalCore", "ShoalKeystoneAPI", "ShoalSwiftAPI"]),
        .testTarget(name: "ShoalMembershipTests", dependencies: ["ShoalCore", "ShoalMembership"]),
        .testTarget(
            name: "ShoalZeroMQTests",
            // Also runs the same behavioural suite against the in-memory twin.
            dependencies: ["CZeroMQ", "ShoalCore", "ShoalPorts", "ShoalZeroMQ", "ShoalSimulation"]
        ),
        .testTarget(name: "ShoalSQLiteTests", dependencies: ["ShoalCore", "ShoalSQLite"]),
        .testTarget(
            name: "ShoalDiskStoreTests",
            // Also runs the same behavioural suite against the in-memory twin.
            dependencies: ["ShoalCore", "ShoalPorts", "ShoalDiskStore", "ShoalSimulation"]
        ),
        .testTarget(
            name: "ShoalSimulationTests",
            dependencies: ["ShoalCore", "ShoalMembership", "ShoalSimulation"]
        ),
        .testTarget(
            name: "ShoalRESTTests",
            dependencies: [
                "ShoalNode", "ShoalREST", "ShoalStorage", "ShoalSwiftAPI", "ShoalPorts", "ShoalCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "ShoalStorageTests",
            dependencies: [
                "ShoalCore", "ShoalKeystoneAPI", "ShoalPorts", "ShoalSwiftAPI", "ShoalSQLite", "ShoalDiskStore", "ShoalSimulation",
                "ShoalStorage", "ShoalIdentity",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ShoalNodeTests",
            dependencies: ["ShoalCore", "ShoalNode", "ShoalPorts", "ShoalSimulation", "ShoalMembership"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
