import AgentCore
import AgentServices
import ArgumentParser

extension ZerobusEdge {
    struct Schema: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Work with Unity Catalog table schemas.", subcommands: [Pull.self])

        struct Pull: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print a table's columns block for agent.toml, read from Unity Catalog.",
                discussion: """
                    Uses the [zerobus] credentials and workspace_url of the config (no [[table]] needed). \
                    Nullable columns get optional = true; every column reads the same-named JSON field.
                    """)

            @OptionGroup var options: ConfigOption
            @Argument(help: "The table, catalog.schema.table.") var table: String
            @Option(help: "Also write a .descriptor file (FileDescriptorSet) for a descriptor table.")
            var descriptor: String?
            @Option(help: "Row message name in the descriptor (default table_<table>).") var message: String?

            func run() async throws {
                let configuration = try options.load(requireTables: false)
                do {
                    Output.line(try await SchemaPull.run(
                        configuration: configuration, table: table, descriptorPath: descriptor, messageName: message))
                } catch {
                    Output.error(error.message)
                    throw ExitCode(error.exitCode)
                }
            }
        }
    }
}
