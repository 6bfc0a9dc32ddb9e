import Foundation
import TestSupport

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

/// A child process that announces readiness with one line on stdout. Spawned with
/// posix_spawn and reaped with waitpid (Foundation's Process can hang in waitUntilExit when
/// used from many concurrent test tasks).
final class ChildProcess: Sendable {
    let pid: pid_t
    /// The write end of the child's stdin; some fixtures exit when their stdin closes.
    private let stdinWriter: Int32
    let readyLine: String
    let logURL: URL

    init(executable: String, arguments: [String], logURL: URL, readyPrefix: String, timeout: TimeInterval = 60) throws {
        self.logURL = logURL
        var pipeEnds: [Int32] = [0, 0]
        var stdinEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0, pipe(&stdinEnds) == 0 else {
            throw ChildProcessError(message: "pipe failed: errno \(errno)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        posix_spawn_file_actions_adddup2(&actions, stdinEnds[0], 0)
        posix_spawn_file_actions_addclose(&actions, stdinEnds[1])
        posix_spawn_file_actions_addopen(&actions, 2, logURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        closeInheritedDescriptors(&actions)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = TestEnvironment.childEnvironment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // The child must not inherit a blocked signal mask (threads of this process block
        // signals), or it would never see our SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        close(pipeEnds[1])
        close(stdinEnds[0])
        stdinWriter = stdinEnds[1]
        guard result == 0 else {
            close(pipeEnds[0])
            close(stdinEnds[1])
            throw ChildProcessError(message: "cannot start \(executable): errno \(result)")
        }
        pid = child
        let line = Self.readLine(from: pipeEnds[0], timeout: timeout)
        close(pipeEnds[0])
        guard let line, line.hasPrefix(readyPrefix) else {
            Self.terminate(child, signal: SIGKILL)
            close(stdinEnds[1])
            let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            throw ChildProcessError(message: "\(executable) \(arguments.joined(separator: " ")) did not become ready; got \(line ?? "EOF")\n\(log.suffix(3000))")
        }
        readyLine = line
    }

    /// Reads one line with a deadline (poll on the pipe; the child decides when it is ready).
    private static func readLine(from descriptor: Int32, timeout: TimeInterval) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer: [UInt8] = []
        var pollDescriptor = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while Date() < deadline {
            let remainingMs = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&pollDescriptor, 1, remainingMs) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(descriptor, &byte, 1) == 1 else { return nil }
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

    /// Sends `signal` and reaps the child (idempotent: a reaped child is not signalled again).
    /// A child still alive after 15 s is killed, so a stuck fixture fails a test instead of
    /// hanging the whole run.
    private static func terminate(_ pid: pid_t, signal: Int32) {
        guard Glibc.kill(pid, 0) == 0 else { return }
        _ = Glibc.kill(pid, signal)
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped == -1 && errno != EINTR) { return }
            usleep(10_000)
        }
        _ = Glibc.kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }

    func stop() { Self.terminate(pid, signal: SIGTERM) }

    func kill() { Self.terminate(pid, signal: SIGKILL) }

    deinit {
        stop()
        close(stdinWriter)
    }
}

struct ChildProcessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
