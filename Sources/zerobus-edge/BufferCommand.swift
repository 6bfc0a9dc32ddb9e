import AgentServices
import ArgumentParser

extension ZerobusEdge {
    struct Buffer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Work with the rows buffered in the ring.", subcommands: [Purge.self])

        struct Purge: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Delete the buffered rows of a table that is no longer configured (counted as dropped).",
                discussion: """
                    Rows of a table removed from the configuration keep draining to Zerobus; this \
                    discards them instead. Refused for a configured table. Done by the running agent \
                    if there is one.
                    """)
            @OptionGroup var options: ConfigOption
            @Option(help: "The table, catalog.schema.table.") var table: String

            func run() throws {
                let configuration = try options.load()
                do {
                    Output.line(try QuarantineTool.purgeBuffered(table: table, configuration: configuration))
                } catch {
                    Output.error("\(error)")
                    throw ExitCode(1)
                }
            }
        }
    }
}
