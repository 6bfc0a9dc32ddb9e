import Glibc
import Synchronization

/// A process signal the agent reacts to.
public enum ProcessSignal: Sendable, Hashable, CaseIterable {
    /// SIGTERM: stop gracefully (systemd's stop).
    case terminate
    /// SIGINT: stop gracefully (Ctrl-C).
    case interrupt
    /// SIGHUP: reload or reopen, as the caller decides.
    case hangup

    var number: Int32 {
        switch self {
        case .terminate: SIGTERM
        case .interrupt: SIGINT
        case .hangup: SIGHUP
        }
    }

    init?(number: Int32) {
        guard let signal = Self.allCases.first(where: { $0.number == number }) else { return nil }
        self = signal
    }
}

/// Delivers SIGTERM, SIGINT and SIGHUP as an `AsyncStream<ProcessSignal>`, and ignores SIGPIPE
/// (a peer closing a socket must be an error code, not the death of the process).
///
/// Call `start()` first thing in `main`, **before any other thread exists**: it blocks the
/// signals in the calling thread with `pthread_sigmask`, and every thread created afterwards
/// inherits that mask, so blocking calls elsewhere (poll, mosquitto, SQLite) are never
/// interrupted. The listener's own thread unblocks them and is then the only thread the kernel
/// delivers them to.
///
/// How a signal reaches the stream: an async-signal-safe handler writes the signal number to a
/// pipe (the "self-pipe" pattern) and the listener thread reads the pipe and yields. This is
/// used instead of `sigwait` because it stays correct when a thread that existed before
/// `start()` (one that does not block the signals) receives the signal: the handler runs there
/// and still feeds the pipe, where with `sigwait` the default action would kill the process.
///
/// Only one listener can be active per process. `stop()` restores the default dispositions.
public final class SignalListener: Sendable {
    public let signals: AsyncStream<ProcessSignal>
    private let continuation: AsyncStream<ProcessSignal>.Continuation
    private let handled: [ProcessSignal]
    private let state: Mutex<(thread: NativeThread, readFD: Int32, writeFD: Int32)?>

    /// Installs the handlers, blocks the signals in the calling thread and starts the listener
    /// thread. Throws if a listener is already active.
    public static func start(
        signals: Set<ProcessSignal> = Set(ProcessSignal.allCases)
    ) throws(AgentSystemError) -> SignalListener {
        _ = signal(SIGPIPE, SIG_IGN)
        guard let pipe = makePipe(nonBlocking: false) else { throw AgentSystemError.posix("signal listener: pipe") }
        let pipeFDs = [pipe.read, pipe.write]
        // The handler must never block, whatever the reader does.
        setDescriptorFlags(pipe.write, nonBlocking: true)
        guard signalPipeWriteFD.compareExchange(expected: -1, desired: pipeFDs[1], ordering: .acquiringAndReleasing)
            .exchanged
        else {
            closeDescriptor(pipeFDs[0])
            closeDescriptor(pipeFDs[1])
            throw AgentSystemError("signal listener: another listener is already active")
        }
        let handled = ProcessSignal.allCases.filter(signals.contains)
        let numbers = handled.map(\.number)
        for number in numbers {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = forwardSignalToPipe
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            _ = sigaction(number, &action, nil)
        }
        setMask(SIG_BLOCK, numbers)

        let (stream, continuation) = AsyncStream.makeStream(of: ProcessSignal.self, bufferingPolicy: .unbounded)
        let readFD = pipeFDs[0]
        do throws(AgentSystemError) {
            let thread = try NativeThread.start(name: "zbe-signals") {
                setMask(SIG_UNBLOCK, numbers)
                readSignals(from: readFD, into: continuation)
            }
            return SignalListener(
                signals: stream, continuation: continuation, handled: handled,
                running: (thread, readFD, pipeFDs[1]))
        } catch {
            restoreDefaults(numbers)
            signalPipeWriteFD.store(-1, ordering: .releasing)
            closeDescriptor(pipeFDs[0])
            closeDescriptor(pipeFDs[1])
            throw error
        }
    }

    private init(
        signals: AsyncStream<ProcessSignal>, continuation: AsyncStream<ProcessSignal>.Continuation,
        handled: [ProcessSignal], running: (thread: NativeThread, readFD: Int32, writeFD: Int32)
    ) {
        self.signals = signals
        self.continuation = continuation
        self.handled = handled
        self.state = Mutex(running)
    }

    deinit { stop() }

    /// Restores the default dispositions, stops the listener thread and finishes the stream.
    /// The signals stay blocked in threads that blocked them. Safe to call more than once.
    public func stop() {
        guard let running = state.withLock({ state in
            defer { state = nil }
            return state
        }) else { return }
        Self.restoreDefaults(handled.map(\.number))
        signalPipeWriteFD.store(-1, ordering: .releasing)
        var stopByte: UInt8 = 0
        _ = write(running.writeFD, &stopByte, 1)
        running.thread.join()
        closeDescriptor(running.readFD)
        closeDescriptor(running.writeFD)
        continuation.finish()
    }

    private static func setMask(_ how: Int32, _ numbers: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for number in numbers { sigaddset(&set, number) }
        _ = pthread_sigmask(how, &set, nil)
    }

    private static func restoreDefaults(_ numbers: [Int32]) {
        for number in numbers { _ = signal(number, SIG_DFL) }
    }

    /// Runs on the listener thread until it reads the stop byte (0) or the pipe closes.
    private static func readSignals(from fd: Int32, into continuation: AsyncStream<ProcessSignal>.Continuation) {
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return
            }
            if count == 0 { return }
            for byte in buffer[0..<count] {
                if byte == 0 { return }
                if let signal = ProcessSignal(number: Int32(byte)) { continuation.yield(signal) }
            }
        }
    }
}

/// The write end of the active listener's pipe, -1 when none. A global because a signal
/// handler is a C function pointer and cannot capture context; an atomic because the handler
/// may run on any thread at any moment.
private let signalPipeWriteFD = Atomic<Int32>(-1)

/// The signal handler: async-signal-safe (an atomic load and write(2)), and it preserves errno
/// for the interrupted code.
private func forwardSignalToPipe(_ number: Int32) {
    let savedErrno = errno
    let fd = signalPipeWriteFD.load(ordering: .acquiring)
    if fd >= 0 {
        var byte = UInt8(truncatingIfNeeded: number)
        _ = write(fd, &byte, 1)
    }
    errno = savedErrno
}
