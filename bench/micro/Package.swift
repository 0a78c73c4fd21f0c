// swift-tools-version:6.1
// Microbenchmarks of Shoal's hot paths with ordo-one/benchmark, kept in their own package
// so the main build and CI never compile the benchmark framework:
//
//     cd bench/micro && swift package benchmark
//
// It depends on the main package by path for its libraries.
import PackageDescription

let package = Package(
    name: "ShoalMicro",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Shoal", path: "../.."),
        // The malloc interposer gives allocation counts; the runtime interposer (ARC
        // counts on Swift 6.3) is left out, as the package mirror does not carry it.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ShoalMicro",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ShoalCore", package: "Shoal"),
                .product(name: "ShoalSQLite", package: "Shoal"),
            ],
            path: "Benchmarks/ShoalMicro",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
