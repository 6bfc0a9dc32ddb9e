import Foundation
import Synchronization

struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

/// A python helper from Tests/Fixtures, started by a test on port 0. It prints one
/// `READY key=value ...` line when it listens; we wait for that line (no sleeps). Closing its
/// stdin (or SIGTERM) makes it exit.
final class FixtureServer: Sendable {
    let fields: [String: String]
    private let process: Process
    private let input: Pipe
    /// Scratch directory for the server's certificates; removed by `stop()`.
    private let workDirectory: URL

    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var python: String {
        if let configured = ProcessInfo.processInfo.environment["ZEROBUS_PYTHON"], !configured.isEmpty { return configured }
        return repositoryRoot.appendingPathComponent(".venv/bin/python").path
    }

    private init(fields: [String: String], process: Process, input: Pipe, workDirectory: URL) {
        self.fields = fields
        self.process = process
        self.input = input
        self.workDirectory = workDirectory
    }

    func port(_ key: String) throws -> Int {
        guard let text = fields[key], let port = Int(text) else { throw FixtureError(description: "no port '\(key)' in \(fields)") }
        return port
    }

    func path(_ key: String) throws -> String {
        guard let path = fields[key] else { throw FixtureError(description: "no '\(key)' in \(fields)") }
        return path
    }

    /// Kills the server abruptly (SIGKILL): its sockets are closed by the kernel.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        waitForExit(seconds: 15)
    }

    /// Closes the server's stdin (it exits on EOF) and sends SIGTERM; SIGKILL if it is still
    /// running after 10 s. Foundation's `Process` may spawn the child with signals blocked, so
    /// SIGTERM alone is not enough.
    func stop() {
        if process.isRunning {
            try? input.fileHandleForWriting.close()
            process.terminate()
            if !waitForExit(seconds: 10) { kill() }
        }
        try? FileManager.default.removeItem(at: workDirectory)
    }

    /// Polls for the exit (`waitUntilExit` spins a run loop at full CPU off the main thread).
    @discardableResult
    private func waitForExit(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() >= deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// Runs `body` with a started server and always stops it afterwards.
    static func with<T>(_ script: String, _ arguments: [String] = [], _ body: (FixtureServer) async throws -> T) async throws -> T {
        let server = try await start(script, arguments)
        defer { server.stop() }
        return try await body(server)
    }

    static func start(_ script: String, _ arguments: [String] = []) async throws -> FixtureServer {
        let workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("transport-fixture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.environment = ProcessInfo.processInfo.environment.merging(["FIXTURE_WORKDIR": workDirectory.path]) { $1 }
        process.arguments = ["-u", repositoryRoot.appendingPathComponent("Tests/Fixtures/\(script)").path] + arguments
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        let waiter = ReadyLineWaiter()
        output.fileHandleForReading.readabilityHandler = { handle in
            waiter.received(handle.availableData)
        }
        process.terminationHandler = { process in
            waiter.failed("\(script) exited with status \(process.terminationStatus) before printing READY")
        }
        do {
            try process.run()
        } catch {
            try? FileManager.default.removeItem(at: workDirectory)
            throw error
        }
        // A guard against a server that hangs without printing READY; READY itself is the signal.
        let guardTask = Task {
            try await Task.sleep(for: .seconds(60))
            waiter.failed("\(script) did not print READY within 60 s")
        }
        defer { guardTask.cancel() }
        do {
            let line = try await waiter.line()
            output.fileHandleForReading.readabilityHandler = nil
            process.terminationHandler = nil
            var fields: [String: String] = [:]
            for part in line.split(separator: " ").dropFirst() {
                let pair = part.split(separator: "=", maxSplits: 1)
                if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
            }
            return FixtureServer(fields: fields, process: process, input: input, workDirectory: workDirectory)
        } catch {
            if process.isRunning { process.terminate() }
            try? FileManager.default.removeItem(at: workDirectory)
            throw error
        }
    }
}

/// Collects stdout until the first line starting with READY, for one waiting task.
private final class ReadyLineWaiter: Sendable {
    private struct State {
        var buffer = Data()
        var result: Result<String, FixtureError>?
        var continuation: CheckedContinuation<String, any Error>?
    }

    private let state = Mutex(State())

    func received(_ data: Data) {
        guard !data.isEmpty else { return }
        let line: String? = state.withLock { state in
            state.buffer.append(data)
            let text = String(decoding: state.buffer, as: UTF8.self)
            return text.split(separator: "\n").first(where: { $0.hasPrefix("READY") }).map(String.init)
        }
        if let line { complete(.success(line)) }
    }

    func failed(_ message: String) {
        complete(.failure(FixtureError(description: message)))
    }

    private func complete(_ result: Result<String, FixtureError>) {
        let continuation: CheckedContinuation<String, any Error>? = state.withLock { state in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(with: result.mapError { $0 as any Error })
    }

    func line() async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<String, FixtureError>? = state.withLock { state in
                if let result = state.result { return result }
                state.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready.mapError { $0 as any Error }) }
        }
    }
}
