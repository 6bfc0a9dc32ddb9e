import AgentServices
import ArgumentParser

extension ZerobusEdge {
    struct Quarantine: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect, retry or purge payloads and rows that could not be delivered.",
            subcommands: [List.self, Retry.self, Purge.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List quarantined entries with their reasons.")
            @OptionGroup var options: ConfigOption
            @Flag(help: "JSON array instead of text.") var json = false
            @Option(help: "At most this many entries.") var limit = 1000

            func run() throws {
                let tool = try QuarantineCommandSupport.tool(options)
                Output.line(json ? try tool.listJSON(limit: limit) : try tool.listText(limit: limit))
            }
        }

        struct Retry: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Send quarantined entries again (unmappable payloads are mapped with the current config).")
            @OptionGroup var options: ConfigOption

            func run() throws {
                Output.line(try QuarantineCommandSupport.perform(.retry, options))
            }
        }

        struct Purge: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete every quarantined entry.")
            @OptionGroup var options: ConfigOption

            func run() throws {
                Output.line(try QuarantineCommandSupport.perform(.purge, options))
            }
        }
    }
}

/// Every quarantine command works on the ring alone (`retry` maps payloads again with the
/// tables of the config), so none reads credentials.
enum QuarantineCommandSupport {
    /// retry/purge: done by the running daemon if there is one (it owns the ring).
    static func perform(_ command: QuarantineTool.Command, _ options: ConfigOption) throws -> String {
        let configuration = try options.load(readCredentials: false)
        do {
            return try QuarantineTool.perform(command, configuration: configuration)
        } catch {
            Output.error("\(error)")
            throw ExitCode(1)
        }
    }

    static func tool(_ options: ConfigOption) throws -> QuarantineTool {
        let configuration = try options.load(readCredentials: false)
        do {
            return try QuarantineTool(configuration: configuration)
        } catch {
            Output.error("\(error)")
            throw ExitCode(1)
        }
    }
}
