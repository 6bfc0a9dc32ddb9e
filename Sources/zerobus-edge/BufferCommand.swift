import AgentCore
import AgentServices
import ArgumentParser

extension ZerobusEdge {
    struct Buffer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Work with the rows buffered in the ring.",
            discussion: """
                stats, export and verify open the ring read-only: as root or as the service user, \
                with the agent running or stopped, and they change nothing.
                """,
            subcommands: [Stats.self, Export.self, Verify.self, Purge.self])

        struct Stats: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Pending rows per table: count, bytes, oldest and newest, descriptors in use.")
            @OptionGroup var options: ConfigOption
            @Flag(help: "One JSON object.") var json = false

            func run() throws {
                let tool = try BufferCommandSupport.tool(options)
                try BufferCommandSupport.failing { Output.line(json ? try tool.statsJSON() : try tool.statsText()) }
            }
        }

        struct Export: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print pending rows decoded with their own descriptor.",
                discussion: """
                    jsonl: one object per row (column name -> value, as sent: timestamps in µs and \
                    dates in days since the epoch). csv: a header, then one line per row (needs --table). \
                    Oldest first; rows still in the intake journal included.
                    """)
            @OptionGroup var options: ConfigOption
            @Option(help: "Only this table (catalog.schema.table).") var table: String?
            @Option(help: "Only rows received at or after this time (ISO 8601, or epoch seconds).") var since: String?
            @Option(help: "Only rows received at or before this time (ISO 8601, or epoch seconds).") var until: String?
            @Option(help: "jsonl or csv.") var format: String = "jsonl"
            @Flag(help: "Add _table, _record_id and _received_at to each row.") var meta = false

            func run() throws {
                guard let format = BufferTool.ExportFormat(rawValue: format) else {
                    throw ValidationError("--format must be jsonl or csv")
                }
                let selection = BufferTool.ExportSelection(
                    table: table, since: try BufferCommandSupport.time(since, "--since"),
                    until: try BufferCommandSupport.time(until, "--until"), withMetadata: meta)
                let tool = try BufferCommandSupport.tool(options)
                try BufferCommandSupport.failing { try tool.export(selection, format: format, emit: Output.line) }
            }
        }

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Check the ring (SQLite integrity_check) and the intake journal's checksums.",
                discussion: "Exit 0 when sound, 1 when something is damaged.")
            @OptionGroup var options: ConfigOption

            func run() throws {
                let tool = try BufferCommandSupport.tool(options)
                var sound = false
                try BufferCommandSupport.failing {
                    let (report, isSound) = try tool.verify()
                    Output.line(report)
                    sound = isSound
                }
                if !sound { throw ExitCode(1) }
            }
        }

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

enum BufferCommandSupport {
    /// Needs no secrets: the read-only commands are for an operator's shell.
    static func tool(_ options: ConfigOption) throws -> BufferTool {
        let configuration = try options.load(readCredentials: false)
        return try failing { try BufferTool(configuration: configuration) }
    }

    @discardableResult
    static func failing<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            Output.error("\(error)")
            throw ExitCode(1)
        }
    }

    static func time(_ text: String?, _ option: String) throws -> Int64? {
        guard let text else { return nil }
        if let seconds = Int64(text), let micros = seconds.multipliedReportingOverflow(by: 1_000_000).overflow ? nil : seconds * 1_000_000 {
            return micros
        }
        guard let micros = Timestamps.microseconds(parsingISO8601: text) else {
            throw ValidationError("\(option) \(text): expected ISO 8601 (2026-05-01T12:00:00Z) or epoch seconds")
        }
        return micros
    }
}
