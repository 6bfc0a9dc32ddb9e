import AgentCore
import AgentServices
import ArgumentParser

extension ZerobusEdge {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the agent's state: link, backlog and its age, drops, per-table figures.")

        @OptionGroup var options: ConfigOption

        @Flag(help: "Print the health document (JSON) instead of a summary.")
        var json = false

        func run() throws {
            let configuration = try options.load(readCredentials: false)
            guard let path = configuration.health.file else {
                Output.error("health.file is disabled in \(options.config); use GET /healthz instead")
                throw ExitCode(1)
            }
            guard let bytes = FileBytes.read(path) else {
                Output.error("no health file at \(path): the agent is not running or has not reported yet")
                throw ExitCode(1)
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if json {
                Output.line(text.trimmingSuffixNewlines())
                return
            }
            do {
                let report = try HealthReport.parse(json: text)
                Output.line(report.humanSummary())
            } catch {
                Output.error("\(path): \(error)")
                throw ExitCode(1)
            }
        }
    }
}

extension String {
    func trimmingSuffixNewlines() -> String {
        var result = self
        while result.hasSuffix("\n") { result.removeLast() }
        return result
    }
}
