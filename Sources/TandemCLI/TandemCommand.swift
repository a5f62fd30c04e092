import ArgumentParser

/// The `tandem` command line: one subcommand per job.
public struct TandemCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tandem",
        abstract: "LLM generation shared between a small device model and a large cloud model.",
        subcommands: []
    )
    public init() {}
}
