import Logging

/// Installs `StderrLogHandler` as the process's swift-log backend.
public enum LoggingBootstrap {
    /// `agent.log_level` names: `error`, `warn`, `info`, `debug`, `trace` (SPEC §3); the
    /// swift-log spellings `warning`, `notice` and `critical` are accepted too. Case-insensitive.
    public static func level(named name: String) -> Logger.Level? {
        switch name.lowercased() {
        case "error": .error
        case "warn", "warning": .warning
        case "info": .info
        case "debug": .debug
        case "trace": .trace
        case "notice": .notice
        case "critical": .critical
        default: nil
        }
    }

    /// The level of every logger made after `configure`; a reload changes it in place.
    public static let runtimeLevel = LogLevelSetting(.info)

    /// Bootstraps swift-log once per process (swift-log traps on a second bootstrap), choosing
    /// the journal or timestamped style from the environment.
    public static func configure(level: Logger.Level) {
        let style = StderrLogHandler.Style.detect()
        runtimeLevel.level = level
        LoggingSystem.bootstrap { label in
            var handler = StderrLogHandler(label: label, style: style)
            handler.levelSetting = runtimeLevel
            return handler
        }
    }

    /// `configure(level:)` from a configuration name; throws for unknown names.
    public static func configure(levelName: String) throws(AgentSystemError) {
        guard let level = level(named: levelName) else {
            throw AgentSystemError("agent.log_level \"\(levelName)\": expected error, warn, info, debug or trace")
        }
        configure(level: level)
    }
}
