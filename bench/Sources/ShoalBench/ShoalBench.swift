import ArgumentParser

/// `shoal-bench`: prints the figures docs/architecture.md quotes. Run in release.
@main
struct ShoalBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shoal-bench",
        abstract: "Benchmarks of the ring, the ZeroMQ transport and simulated membership.",
        subcommands: [RingBench.self, TransportBench.self, MembershipBench.self, AllBench.self],
        defaultSubcommand: AllBench.self
    )
}

/// Every benchmark in turn, with the default sizes.
struct AllBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "all", abstract: "Run every benchmark.")

    @Flag(help: "Also simulate 10,000 nodes (a few minutes).") var large = false

    func run() async throws {
        try await RingBench.parse([]).run()
        try await TransportBench.parse([]).run()
        try await MembershipBench.parse(large ? ["--nodes", "1000", "--nodes", "10000"] : []).run()
    }
}
