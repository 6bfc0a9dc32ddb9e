import EdgeSupport
import Glibc

/// A joinable POSIX thread for the blocking loops of the system services (poll, read).
///
/// Blocking calls must not run on the Swift cooperative pool, and Foundation's `Thread` is not
/// available here, so each service owns one of these.
struct NativeThread: Sendable {
    private let handle: pthread_t

    /// Starts `body` on a new thread; `name` appears in errors. (Glibc's pthread_setname_np is a
    /// GNU extension that Swift's Glibc module does not import, so threads stay unnamed.)
    static func start(name: String, _ body: @escaping @Sendable () -> Void) throws(AgentSystemError) -> NativeThread {
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(&handle, nil, { raw in
            guard let raw else { return nil }
            let body = Unmanaged<ThreadBody>.fromOpaque(raw).takeRetainedValue()
            body.run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            throw AgentSystemError.posix("cannot start thread \(name)", result)
        }
        return NativeThread(handle: handle)
    }

    private init(handle: pthread_t) { self.handle = handle }

    /// Waits for the thread to finish. Call exactly once.
    func join() {
        _ = pthread_join(handle, nil)
    }
}

/// The closure handed to the new thread through pthread's `void *` argument.
private final class ThreadBody: Sendable {
    let run: @Sendable () -> Void

    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}

/// Monotonic time in milliseconds, for poll timeouts and connection deadlines.
func monotonicMilliseconds() -> Int64 {
    Int64(SystemClocks.monotonicNanos() / 1_000_000)
}

/// A pipe whose ends are close-on-exec (and non-blocking if asked). `pipe2` is a GNU extension
/// that Swift's Glibc module does not import, hence pipe + fcntl.
func makePipe(nonBlocking: Bool) -> (read: Int32, write: Int32)? {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { return nil }
    for fd in fds {
        setDescriptorFlags(fd, nonBlocking: nonBlocking)
    }
    return (fds[0], fds[1])
}

/// Sets FD_CLOEXEC and, if asked, O_NONBLOCK.
func setDescriptorFlags(_ fd: Int32, nonBlocking: Bool) {
    _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
    if nonBlocking { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
}

/// `close(2)`, ignoring the result: on Linux the descriptor is released even when close fails,
/// so retrying would close someone else's descriptor.
func closeDescriptor(_ fd: Int32) {
    if fd >= 0 { _ = close(fd) }
}
