import ArgumentParser

@main
struct ShoalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "shoal", abstract: "An OpenStack-compatible cloud node.")
    func run() async throws {}
}
