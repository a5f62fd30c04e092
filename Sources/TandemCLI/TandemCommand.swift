import ArgumentParser

/// The `tandem` command line: one subcommand per job.
public struct TandemCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tandem",
        abstract: "LLM generation shared between a small device model and a large cloud model.",
        subcommands: [ModelsCommand.self, InspectCommand.self, TokenizeCommand.self, DetokenizeCommand.self, ScoreCommand.self, GenerateCommand.self, ProfileCommand.self, TrainRouterCommand.self, RouteCommand.self, BenchCommand.self, ServeCommand.self, EvalCommand.self]
    )
    public init() {}

    /// Parses the process arguments and runs the chosen subcommand; on error prints one
    /// line to stderr and exits non-zero.
    public static func runFromCommandLine() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
