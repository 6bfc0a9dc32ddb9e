import AgentCore
import AgentServices
import ArgumentParser
import Glibc

extension ZerobusEdge {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the agent's state: link, backlog and its age, drops, per-table figures.")

        @OptionGroup var options: ConfigOption

        @Flag(help: "Print the health document (JSON) instead of a summary.")
        var json = false

        func run() throws {
            let configuration = try options.load()
            guard let path = configuration.health.file else {
                Output.error("health.file is disabled in \(options.config); use GET /healthz instead")
                throw ExitCode(1)
            }
            guard let text = FileText.read(path) else {
                Output.error("no health file at \(path): the agent is not running or has not reported yet")
                throw ExitCode(1)
            }
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

enum FileText {
    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    func trimmingSuffixNewlines() -> String {
        var result = self
        while result.hasSuffix("\n") { result.removeLast() }
        return result
    }
}
