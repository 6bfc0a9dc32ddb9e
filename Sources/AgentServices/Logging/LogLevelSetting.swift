import Logging
import Synchronization

/// The process's log level, changeable while it runs (a configuration reload sets
/// `agent.log_level`): swift-log copies a handler into every `Logger`, so the handlers made by
/// `LoggingBootstrap` read this shared value instead of keeping their own.
public final class LogLevelSetting: Sendable {
    private let index: Atomic<Int>

    public init(_ level: Logger.Level) {
        index = Atomic(Self.index(of: level))
    }

    public var level: Logger.Level {
        get { Logger.Level.allCases[index.load(ordering: .relaxed)] }
        set { index.store(Self.index(of: newValue), ordering: .relaxed) }
    }

    private static func index(of level: Logger.Level) -> Int {
        Logger.Level.allCases.firstIndex(of: level) ?? 0
    }
}
