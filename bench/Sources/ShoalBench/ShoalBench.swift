import ArgumentParser

/// `shoal-bench`: prints the figures docs/architecture.md quotes. Run in release.
@main
struct ShoalBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shoal-bench",
        abstract: "Benchmarks of the ring, the ZeroMQ transport and simulated membership.",
        subcommands: [RingBench.self, TransportBench.self, MembershipBench.self, DiskBench.self, SwiftAPIBench.self,
                      StreamBench.self, IdentityBench.self, AllBench.self],
        defaultSubcommand: AllBench.self
    )
}

/// Every benchmark in turn, with the default sizes.
struct AllBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "all", abstract: "Run every benchmark.")

    @Flag(help: "Also simulate 3,000 nodes (about a minute and 3.5 GB).") var large = false

    func run() async throws {
        try await RingBench.parse([]).run()
        try await TransportBench.parse([]).run()
        try await MembershipBench.parse(large ? ["--nodes", "1000", "--nodes", "3000"] : []).run()
        try await DiskBench.parse([]).run()
    }
}
