import Foundation

/// A real mosquitto broker for one test, on free ports of 127.0.0.1, logging everything
/// (`log_type all`, like `-v`) to a file in its own temporary directory.
final class TestBroker {
    let directory: URL
    let ports: [Int]
    var port: Int { ports[0] }
    var logPath: String { directory.appendingPathComponent("broker.log").path }
    private let configPath: String
    private var process: ChildProcess?

    /// `body` receives the broker's directory and ports and returns the listener and security
    /// part of mosquitto.conf; the default is one anonymous listener without persistence.
    init(portCount: Int = 1, body: ((URL, [Int]) -> String)? = nil) throws {
        directory = try makeTemporaryDirectory("broker")
        ports = try (0..<portCount).map { _ in try freePort() }
        let listeners = body?(directory, ports) ?? """
            listener \(ports[0]) 127.0.0.1
            allow_anonymous true
            persistence false
            """
        let config = """
            # Tests run as root; without this mosquitto would switch to user "mosquitto",
            # which cannot write the temporary directory.
            user root
            log_dest file \(directory.appendingPathComponent("broker.log").path)
            log_type all
            log_timestamp true
            log_timestamp_format %Y-%m-%dT%H:%M:%S
            \(listeners)

            """
        configPath = directory.appendingPathComponent("mosquitto.conf").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts mosquitto and returns once every listener accepts TCP connections.
    func start() throws {
        let process = try ChildProcess("/usr/sbin/mosquitto", ["-c", configPath])
        self.process = process
        for port in ports {
            let accepted = waitUntil(timeout: 10) { !process.isRunning || canConnect(port: port) }
            guard accepted, process.isRunning else {
                throw TestFailure("mosquitto did not come up on port \(port); log:\n\(log)")
            }
        }
    }

    /// SIGTERM (mosquitto then saves its persistence file) and wait for the process to end.
    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        self.process = nil
    }

    func restart() throws {
        stop()
        try start()
    }

    var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Waits until the broker's log contains `text`.
    func waitForLog(_ text: String, timeout: TimeInterval = 10) -> Bool {
        waitUntil(timeout: timeout) { self.log.contains(text) }
    }

    func publish(_ topic: String, _ message: String, qos: Int = 1, retain: Bool = false, clientID: String? = nil) throws {
        var arguments = ["-h", "127.0.0.1", "-p", String(port), "-q", String(qos), "-t", topic, "-m", message]
        if retain { arguments.append("-r") }
        if let clientID { arguments += ["-i", clientID] }
        try runTool("/usr/bin/mosquitto_pub", arguments)
    }

    /// One QoS 1 message per line, over one connection (`mosquitto_pub -l`).
    func publishLines(_ topic: String, _ lines: [String]) throws {
        let arguments = ["-h", "127.0.0.1", "-p", String(port), "-q", "1", "-t", topic, "-l"]
        try runTool("/usr/bin/mosquitto_pub", arguments, input: lines.joined(separator: "\n") + "\n")
    }

    /// Like `publishLines`, but returns at once with `mosquitto_pub` still running.
    func startPublishingLines(_ topic: String, _ lines: [String]) throws -> Process {
        let input = directory.appendingPathComponent("lines-\(UUID().uuidString).txt")
        try (lines.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_pub")
        process.arguments = ["-h", "127.0.0.1", "-p", String(port), "-q", "1", "-t", topic, "-l"]
        process.standardInput = try FileHandle(forReadingFrom: input)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}
