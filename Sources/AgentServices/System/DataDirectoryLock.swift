import EdgeSupport
import Glibc

/// An exclusive `flock` on the data directory itself, held by the daemon for its lifetime.
///
/// It keeps a second daemon off the same ring (two writers would corrupt each other's
/// in-memory books), and tells the CLI whether a daemon runs: `quarantine retry|purge` then
/// hand their work to it instead of writing the ring themselves. The kernel drops the lock
/// when the process dies, kill -9 included, so there is nothing stale to clean up.
///
/// The directory, not a file in it: a lock file (`agent.lock`, before) can be deleted while
/// the daemon runs, and the next process then locks a new inode and starts beside it. A
/// directory holding the ring cannot be removed from under the daemon (rmdir refuses a
/// non-empty one), and every path to it (symlinks included) reaches the same inode.
public final class DataDirectoryLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// The lock, or nil when another process holds it. Retries for `patience` (a CLI command
    /// holds it for milliseconds; a daemon holds it for good).
    public static func acquire(dataDirectory: String, patience: Duration = .zero) throws(AgentError) -> DataDirectoryLock? {
        let descriptor = open(dataDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw AgentError("cannot open the data directory \(dataDirectory): \(ErrnoText.describe())")
        }
        let deadline = ContinuousClock.now + patience
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(descriptor)
                throw AgentError("cannot lock the data directory \(dataDirectory): \(ErrnoText.describe(code))")
            }
            if ContinuousClock.now >= deadline {
                close(descriptor)
                return nil
            }
            usleep(20_000)
        }
        return DataDirectoryLock(descriptor: descriptor)
    }

    /// The daemon's lock (waiting up to 5 s for a CLI command to finish), or an error naming the
    /// directory and, when the kernel tells, the process that holds it.
    static func acquireForDaemon(dataDirectory: String) throws(AgentError) -> DataDirectoryLock {
        if let lock = try acquire(dataDirectory: dataDirectory, patience: .seconds(5)) { return lock }
        let holder = LockHolder.pid(ofFlockOn: dataDirectory).map { "pid \($0) holds" } ?? "another process holds"
        throw AgentError("another zerobus-edge process is using \(dataDirectory) "
            + "(\(holder) its lock); one agent per data_dir")
    }
}
