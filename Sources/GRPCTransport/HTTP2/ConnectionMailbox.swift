import Synchronization

/// The only state shared between the public handles (any thread) and a connection's I/O thread:
/// a command queue, the "accepts calls" flag and close waiters, behind one Mutex, plus the wakeup
/// that interrupts the I/O thread's `poll`.
final class ConnectionMailbox: Sendable {
    enum Command: Sendable {
        case start(GRPCCall, path: String, metadata: [HeaderField])
        /// New outbound data or a half-close for a call whose data provider had deferred.
        case resume(GRPCCall)
        case cancel(GRPCCall)
        case close
    }

    private struct State {
        var commands: [Command] = []
        /// Why new calls are refused (nil while they are accepted).
        var refusalReason: String?
        var closeRequested = false
        var terminated = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let wakeup: WakeupSignal
    private let state = Mutex(State())

    init() throws(TransportError) {
        wakeup = try WakeupSignal()
    }

    /// Nil while the connection accepts calls, otherwise why it does not.
    var refusalReason: String? { state.withLock { $0.refusalReason } }

    /// Queues a call start atomically with the "accepting" check, so no start is lost at shutdown.
    func startCall(_ call: GRPCCall, path: String, metadata: [HeaderField]) throws(TransportError) {
        let refusal: String? = state.withLock { state in
            if let reason = state.refusalReason { return reason }
            state.commands.append(.start(call, path: path, metadata: metadata))
            return nil
        }
        if let refusal { throw TransportError(.closed, refusal) }
        wakeup.signal()
    }

    /// Queues a command for a running connection; dropped once the I/O thread has ended (every
    /// call is finished by then, so there is nothing left to resume or cancel).
    func post(_ command: Command) {
        let posted = state.withLock { state in
            guard !state.terminated else { return false }
            state.commands.append(command)
            return true
        }
        if posted { wakeup.signal() }
    }

    /// Asks the I/O thread to close; `waiter` (if any) is resumed when the thread has finished.
    /// Returns false when the thread had already finished (the waiter is not stored then).
    func requestClose(waiter: CheckedContinuation<Void, Never>?) -> Bool {
        let running = state.withLock { state in
            guard !state.terminated else { return false }
            if let waiter { state.closeWaiters.append(waiter) }
            if state.refusalReason == nil { state.refusalReason = "the connection was closed by the client" }
            if !state.closeRequested {
                state.closeRequested = true
                state.commands.append(.close)
            }
            return true
        }
        if running { wakeup.signal() }
        return running
    }

    /// The server sent GOAWAY (or the connection failed): refuse new calls from now on.
    func refuseNewCalls(reason: String) {
        state.withLock { state in
            if state.refusalReason == nil { state.refusalReason = reason }
        }
    }

    func takeCommands() -> [Command] {
        state.withLock { state in
            var taken: [Command] = []
            swap(&taken, &state.commands)
            return taken
        }
    }

    /// Called once by the I/O thread as its last step. Returns commands that were never processed
    /// (their calls must still be finished) and the close waiters to resume.
    func terminate(reason: String) -> (commands: [Command], waiters: [CheckedContinuation<Void, Never>]) {
        state.withLock { state in
            state.terminated = true
            if state.refusalReason == nil { state.refusalReason = reason }
            var commands: [Command] = []
            swap(&commands, &state.commands)
            var waiters: [CheckedContinuation<Void, Never>] = []
            swap(&waiters, &state.closeWaiters)
            return (commands, waiters)
        }
    }
}
