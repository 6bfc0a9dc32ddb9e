import AgentServices
import ArgumentParser
import EdgeSupport
import Glibc

extension ZerobusEdge {
    struct Map: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what one example message becomes in a table (rows, or the quarantine reason).",
            discussion: """
                Maps the payload with the table's configuration exactly as the running agent does, \
                without connecting to anything. Exit 0 with one line per row (record_id, then the \
                row as JSON keyed by column), 1 when the agent would quarantine the message.
                """)
        @OptionGroup var options: ConfigOption
        @Option(help: "The table, catalog.schema.table.") var table: String
        @Option(help: "The MQTT topic the message arrives on (topic[i] sources read it).") var topic: String
        @Option(help: "A file holding the payload, or - for standard input.") var payload: String

        func run() throws {
            let configuration = try options.load(readCredentials: false)
            guard let bytes = FileBytes.read(payload == "-" ? "/dev/stdin" : payload) else {
                Output.error("cannot read \(payload): \(ErrnoText.describe())")
                throw ExitCode(2)
            }
            do {
                Output.line(try MappingPreview.preview(configuration: configuration, table: table, topic: topic, payload: bytes))
            } catch {
                Output.error("\(error)")
                throw ExitCode(1)
            }
        }
    }
}
