import AgentCore
import AgentServices
import ArgumentParser

/// `zerobus-edge`: MQTT → bounded SQLite ring → Databricks Zerobus Ingest.
/// Exit codes: 0 ok, 2 usage or configuration error, 1 runtime failure.
@main
struct ZerobusEdge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zerobus-edge",
        abstract: "Stream MQTT sensor readings into Databricks Delta tables through Zerobus Ingest.",
        version: AgentRuntime.version,
        subcommands: [Run.self, CheckConfig.self, Map.self, Status.self, Quarantine.self, Buffer.self, Schema.self])

    /// ArgumentParser's own `main`, except that bad arguments exit 2 (SPEC.md §4), not EX_USAGE (64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            Output.error(fullMessage(for: error))
            exit(withError: ExitCode(2))
        }
    }
}

/// `--config PATH`, shared by every command.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Path of agent.toml.")
    var config: String = AgentConfiguration.defaultPath

    /// Loads and validates the configuration; prints every problem and exits 2 on error.
    /// - Parameters:
    ///   - requireTables: false for commands that need only the connection settings.
    ///   - readCredentials: false for commands that need no secrets (`status`, `quarantine`), so
    ///     they work in an operator's shell without the service's environment.
    ///   - checkFiles: also check the data directory, TLS files and descriptors (`run`,
    ///     `check-config`), so start-up problems are named by key and line.
    func load(requireTables: Bool = true, readCredentials: Bool = true, checkFiles: Bool = false) throws -> AgentConfiguration {
        do {
            return try AgentConfiguration.load(
                path: config, environment: AgentConfiguration.processEnvironment(), requireTables: requireTables,
                readCredentials: readCredentials, checkFiles: checkFiles,
                parseCertificates: AgentRuntime.certificateFileProblem)
        } catch {
            for problem in error.errors { Output.error(problem.description) }
            throw ExitCode(2)
        }
    }
}
