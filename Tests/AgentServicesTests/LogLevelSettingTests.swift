import AgentServices
import Logging
import Testing

/// A reload changes `agent.log_level` for loggers that already exist.
@Suite struct LogLevelSettingTests {
    @Test func handlersFollowTheSharedLevelUntilOneSetsItsOwn() {
        let setting = LogLevelSetting(.info)
        var first = StderrLogHandler(label: "a", style: .timestamped)
        first.levelSetting = setting
        var second = first
        #expect(first.logLevel == .info)

        setting.level = .debug
        #expect(first.logLevel == .debug && second.logLevel == .debug)

        second.logLevel = .error
        setting.level = .trace
        #expect(first.logLevel == .trace)
        #expect(second.logLevel == .error, "a handler given its own level keeps it")
    }
}
