import ArgumentParser

@main
struct ShoalBench: AsyncParsableCommand {
    func run() async throws {}
}
