import Glibc

/// An exclusive `flock` on `<data_dir>/agent.lock`, held by the daemon for its lifetime.
///
/// It keeps a second daemon off the same ring (two writers would corrupt each other's
/// in-memory books), and tells the CLI whether a daemon runs: `quarantine retry|purge` then
/// hand their work to it instead of writing the ring themselves. The kernel drops the lock
/// when the process dies, kill -9 included, so there is nothing stale to clean up.
public final class DataDirectoryLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    public static func path(dataDirectory: String) -> String {
        dataDirectory + "/agent.lock"
    }

    /// The lock, or nil when another process holds it. Retries for `patience` (a CLI command
    /// holds it for milliseconds; a daemon holds it for good).
    public static func acquire(dataDirectory: String, patience: Duration = .zero) throws(AgentError) -> DataDirectoryLock? {
        let path = path(dataDirectory: dataDirectory)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw AgentError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        let deadline = ContinuousClock.now + patience
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(descriptor)
                throw AgentError("cannot lock \(path): \(String(cString: strerror(code)))")
            }
            if ContinuousClock.now >= deadline {
                close(descriptor)
                return nil
            }
            usleep(20_000)
        }
        return DataDirectoryLock(descriptor: descriptor)
    }
}
