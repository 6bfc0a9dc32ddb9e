import AgentCore
import AgentServices
import Glibc
import Logging
import Testing

/// Captures the lines a handler writes through a pipe.
private struct CapturedLines {
    let readFD: Int32
    let writeFD: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        precondition(pipe(&fds) == 0)
        readFD = fds[0]
        writeFD = fds[1]
    }

    func logger(style: StderrLogHandler.Style, label: String = "zerobus-edge.test") -> Logger {
        var logger = Logger(label: label) { label in
            StderrLogHandler(label: label, style: style, fileDescriptor: writeFD)
        }
        logger.logLevel = .trace
        return logger
    }

    /// Closes the write end and returns everything written.
    func finish() -> [String] {
        close(writeFD)
        defer { close(readFD) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
    }
}

@Suite struct StderrLogHandlerTests {
    @Test func log_whenJournal_writesPriorityPrefixAndSortedQuotedMetadata() {
        let capture = CapturedLines()
        var logger = capture.logger(style: .journal)
        logger[metadataKey: "gateway_id"] = "gw-1"
        logger.info("Connected.", metadata: ["broker": "127.0.0.1:1883", "note": "two words", "empty": ""])
        logger.error("Stream failed.", metadata: ["error": "UNAVAILABLE: \"refused\""])
        logger.debug("Tick.")
        #expect(capture.finish() == [
            #"<6>info zerobus-edge.test: Connected. broker=127.0.0.1:1883 empty="" gateway_id=gw-1 note="two words""#,
            #"<3>error zerobus-edge.test: Stream failed. error="UNAVAILABLE: \"refused\"" gateway_id=gw-1"#,
            "<7>debug zerobus-edge.test: Tick. gateway_id=gw-1",
            "",
        ])
    }

    @Test func log_neverWritesSecretValues() {
        let capture = CapturedLines()
        let logger = capture.logger(style: .journal)
        logger.warning("Auth.", metadata: [
            "password": "hunter2", "client_secret": "s3cr3t", "Authorization": "Bearer abc", "access_token": "t0k",
            "nested": ["api_key": "k3y", "user": "bob"],
        ])
        let lines = capture.finish()
        #expect(lines.first == "<4>warning zerobus-edge.test: Auth. Authorization=*** access_token=*** "
            + #"client_secret=*** nested="[api_key: ***, user: bob]" password=***"#)
        for secret in ["hunter2", "s3cr3t", "abc", "t0k", "k3y"] {
            #expect(!lines.joined().contains(secret))
        }
    }

    @Test func log_whenMessageHasLineBreaks_staysOneLine() {
        let capture = CapturedLines()
        capture.logger(style: .journal).info("first\nsecond", metadata: ["detail": "a\nb"])
        #expect(capture.finish() == [#"<6>info zerobus-edge.test: first\nsecond detail="a\nb""#, ""])
    }

    @Test func log_whenTimestamped_startsWithCurrentUTCTime() throws {
        let capture = CapturedLines()
        var before = timespec()
        clock_gettime(CLOCK_REALTIME, &before)
        capture.logger(style: .timestamped).notice("Started.")
        let line = try #require(capture.finish().first)
        let parts = line.split(separator: " ", maxSplits: 1)
        let stamp = String(parts[0])
        #expect(stamp.count == "2026-05-28T20:26:40.123Z".count)
        let micros = try #require(ISO8601UTC.parseEpochMicros(stamp))
        #expect(abs(micros / 1_000_000 - Int64(before.tv_sec)) <= 2)
        #expect(parts[1] == "notice zerobus-edge.test: Started.")
    }

    @Test(arguments: [
        ("error", Logger.Level.error), ("warn", .warning), ("info", .info), ("debug", .debug), ("trace", .trace),
        ("WARNING", .warning),
    ])
    func levelNamed_mapsConfigurationNames(name: String, level: Logger.Level) {
        #expect(LoggingBootstrap.level(named: name) == level)
    }

    @Test func levelNamed_whenUnknown_isNil() {
        #expect(LoggingBootstrap.level(named: "verbose") == nil)
    }
}
