import Foundation

/// Paths and the Python interpreter the integration tests use.
enum TestEnvironment {
    /// The package root, found from this file's location.
    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url
    }()

    /// `ZEROBUS_PYTHON`, else the project's venv (`make venv` creates it).
    static var python: String {
        if let configured = ProcessInfo.processInfo.environment["ZEROBUS_PYTHON"], !configured.isEmpty {
            return configured
        }
        return repositoryRoot.appendingPathComponent(".venv/bin/python").path
    }

    static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("zerobus-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The environment for child processes: no proxies, so loopback traffic is not tunnelled.
    static var childEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "grpc_proxy", "GRPC_PROXY", "all_proxy", "ALL_PROXY"] {
            environment[key] = nil
        }
        return environment
    }
}

/// A child process that announces readiness with one line on stdout.
final class ChildProcess: @unchecked Sendable {
    // @unchecked: `process` is set once in init and only read afterwards; Process itself is thread-safe for terminate/wait.
    let process = Process()
    let readyLine: String
    let logURL: URL

    init(executable: String, arguments: [String], logURL: URL, readyPrefix: String, timeout: TimeInterval = 60) throws {
        self.logURL = logURL
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let stdout = Pipe()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = TestEnvironment.childEnvironment
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        let line = Self.readLine(from: stdout.fileHandleForReading, timeout: timeout)
        guard let line, line.hasPrefix(readyPrefix) else {
            process.terminate()
            process.waitUntilExit()
            let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            throw ChildProcessError(message: "\(executable) \(arguments.joined(separator: " ")) did not become ready; got \(line ?? "EOF")\n\(log.suffix(3000))")
        }
        readyLine = line
    }

    /// Reads one line with a deadline (poll on the pipe; the child decides when it is ready).
    private static func readLine(from handle: FileHandle, timeout: TimeInterval) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer: [UInt8] = []
        var pollDescriptor = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
        while Date() < deadline {
            let remainingMs = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&pollDescriptor, 1, remainingMs) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(handle.fileDescriptor, &byte, 1) == 1 else { return nil }
            if byte == UInt8(ascii: "\n") { return String(decoding: buffer, as: UTF8.self) }
            buffer.append(byte)
        }
        return nil
    }

    /// Parses `key=value` words of the ready line.
    var fields: [String: String] {
        var result: [String: String] = [:]
        for word in readyLine.split(separator: " ") {
            let parts = word.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    func kill() {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

struct ChildProcessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
