import EdgeSupport
import Glibc
import Synchronization

/// Starts blocking work on its own detached pthread, off the Swift cooperative pool.
enum IOThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(run: @escaping @Sendable () -> Void) { self.run = run }
    }

    static func start(_ run: @escaping @Sendable () -> Void) throws(TransportError) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let body = Unmanaged.passRetained(Body(run: run)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { argument in
            let body = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
            body.run()
            return nil
        }, body)
        if result != 0 {
            Unmanaged<Body>.fromOpaque(body).release()
            throw TransportError(.io, "cannot start I/O thread: \(ErrnoText.describe(result))")
        }
    }
}

/// Wakes a thread sleeping in `poll` from any thread (a non-blocking self-pipe; Glibc's Swift
/// module does not expose eventfd). Signals are coalesced: only the first signal after each
/// `consume` touches the kernel, so frequent senders stay cheap.
final class WakeupSignal: Sendable {
    /// The end to poll for POLLIN.
    let fileDescriptor: Int32
    private let writeEnd: Int32
    private let pending = Atomic<Bool>(false)

    init() throws(TransportError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw TransportError(.io, "cannot create wakeup pipe: \(ErrnoText.describe(errno))") }
        for fd in ends {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        fileDescriptor = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(fileDescriptor)
        close(writeEnd)
    }

    func signal() {
        guard !pending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Called by the polling thread before it looks at the work queue, so no signal is lost.
    func consume() {
        var sink = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while withUnsafeMutableBytes(of: &sink, { read(fileDescriptor, $0.baseAddress, $0.count) }) > 0 {}
        pending.store(false, ordering: .releasing)
    }
}
