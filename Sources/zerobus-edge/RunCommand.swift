import AgentCore
import AgentServices
import ArgumentParser
import Logging

extension ZerobusEdge {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the agent (the daemon).")

        @OptionGroup var options: ConfigOption

        func run() async throws {
            HeapRelease.configure()
            // First: a stop or reload signal sent while the agent starts waits for it.
            let signals = await TrappedSignals.trap()
            let configuration = try options.load(checkFiles: true)
            LoggingBootstrap.configure(level: LoggingBootstrap.level(named: configuration.agent.logLevel.rawValue) ?? .info)
            let logger = Logger(label: "zerobus-edge")
            do {
                let agent = try AgentRuntime(configuration: configuration, logger: logger)
                try await agent.run(signals: signals, configPath: options.config)
            } catch {
                logger.critical("\(error)")
                throw ExitCode(1)
            }
        }
    }

    struct CheckConfig: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-config", abstract: "Validate the configuration without starting anything.")

        @OptionGroup var options: ConfigOption

        func run() throws {
            let configuration = try options.load(checkFiles: true)
            do {
                try AgentRuntime.validateTables(configuration)
                try AgentRuntime.validateReferencedFiles(configuration)
            } catch {
                for line in "\(error)".split(separator: "\n") { Output.error("\(options.config): \(line)") }
                throw ExitCode(2)
            }
            for placeholder in configuration.placeholders { Output.error(placeholder.warningDescription) }
            Output.line(configuration.summary())
            if configuration.placeholders.isEmpty {
                Output.line("configuration OK")
            } else {
                Output.line("configuration OK, but unconfigured: the agent will buffer readings and send nothing "
                    + "until the placeholders warned about are replaced")
            }
        }
    }
}
