import ArgumentParser

/// `shoal`: one binary for every node role and for administering the cluster.
@main
struct ShoalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shoal",
        abstract: "An OpenStack-compatible cloud node: every role in one binary.",
        version: ShoalVersion.current,
        subcommands: [StartCommand.self, StatusCommand.self, RemoveCommand.self, UserCommand.self, CredentialsCommand.self]
    )
}

enum ShoalVersion {
    static let current = "0.1.0"
}
