import AgentCore
import EdgeSupport
import Glibc
import Logging

/// swift-log handler writing one line per event to stderr, in a journald-friendly format:
///
/// ```
/// <6>info zerobus-edge.mqtt: Connected. broker=127.0.0.1:1883 client_id=zerobus-edge
/// 2026-05-28T20:26:40.123Z warning zerobus-edge.upload: Stream failed. error="UNAVAILABLE: …"
/// ```
/// Under systemd (stderr is the journal stream named by `JOURNAL_STREAM`) each line starts with
/// the `<N>` syslog priority, which journald turns into the entry's priority and strips, and
/// has no timestamp (journald records one). Elsewhere lines start with an ISO-8601 UTC timestamp.
///
/// Metadata is written as `key=value`, sorted by key, values quoted when they contain spaces,
/// quotes, `=` or control characters. Values of keys that look like secrets (containing
/// `password`, `passwd`, `secret`, `token`, `authorization`, `credential`, `api_key`,
/// `apikey` or `cookie`, any case) are written as `***`. Line breaks are escaped so that one
/// event is always one line, and each line is emitted with a single write(2) so lines of
/// concurrent loggers never interleave.
public struct StderrLogHandler: LogHandler {
    public enum Style: Sendable, Hashable {
        /// `<N>` syslog priority prefix, no timestamp.
        case journal
        /// ISO-8601 UTC timestamp with milliseconds.
        case timestamped

        /// `.journal` when `JOURNAL_STREAM` names the device and inode of stderr, as systemd
        /// documents; `.timestamped` otherwise (also when stderr was redirected elsewhere).
        public static func detect() -> Style {
            guard let value = getenv("JOURNAL_STREAM") else { return .timestamped }
            var status = stat()
            guard fstat(STDERR_FILENO, &status) == 0 else { return .timestamped }
            return String(cString: value) == "\(status.st_dev):\(status.st_ino)" ? .journal : .timestamped
        }
    }

    /// The shared level when one is set (see `LogLevelSetting`); setting `logLevel` on one
    /// handler detaches it from the shared value, as for any value-type handler.
    public var logLevel: Logger.Level {
        get { levelSetting?.level ?? ownLevel }
        set {
            levelSetting = nil
            ownLevel = newValue
        }
    }
    public var levelSetting: LogLevelSetting?
    private var ownLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    private let label: String
    private let style: Style
    private let fileDescriptor: Int32

    /// - Parameter fileDescriptor: where lines go; stderr unless a test captures them.
    public init(
        label: String, style: Style = .detect(), fileDescriptor: Int32 = STDERR_FILENO,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        self.label = label
        self.style = style
        self.fileDescriptor = fileDescriptor
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let eventMetadata = event.metadata {
            merged.merge(eventMetadata) { _, new in new }
        }
        if let error = event.error {
            merged["error"] = .string(String(describing: error))
        }
        let line = LogLineFormat.line(
            level: event.level, label: label, message: event.message.description, metadata: merged,
            style: style, epochMicros: style == .timestamped ? SystemClocks.wallMicros() : 0)
        Self.writeLine(line, to: fileDescriptor)
    }

    /// One write(2) for the whole line; a partial write (a full pipe) continues with the rest.
    private static func writeLine(_ line: String, to fd: Int32) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return  // nowhere left to report a failing stderr
            }
            offset += count
        }
    }
}
