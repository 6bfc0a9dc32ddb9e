import Foundation
import TestSupport

/// A child process started with posix_spawn and an EMPTY signal mask.
///
/// Foundation's `Process` spawns from the calling thread and the child inherits that thread's
/// signal mask; test code runs on libdispatch worker threads, which block SIGTERM. mosquitto
/// 2.0 restores its inherited mask around epoll_wait, so a broker started with `Process` never
/// receives SIGTERM (it ignores `terminate()` forever and never writes its persistence file).
final class ChildProcess {
    let pid: pid_t
    private var exited = false

    init(_ path: String, _ arguments: [String]) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        sigaddset(&defaultSignals, SIGTERM)
        sigaddset(&defaultSignals, SIGINT)
        sigaddset(&defaultSignals, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        closeInheritedDescriptors(&actions)

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard result == 0 else { throw TestFailure("posix_spawn \(path): \(String(cString: strerror(result)))") }
        self.pid = pid
    }

    var isRunning: Bool {
        if exited { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { exited = true }
        return !exited
    }

    /// Sends `signal` and waits for the process to end; SIGKILL if it is still alive after 10 s.
    func terminate(signal: Int32 = SIGTERM) {
        guard !exited else { return }
        kill(pid, signal)
        if !waitUntil(timeout: 10, { !isRunning }) {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            exited = true
        }
    }
}
