import AgentServices
import Glibc
import Testing

/// One test on purpose: only one listener may be active per process, and SIGHUP is the only
/// signal that is safe to send to the test process.
@Suite struct SignalListenerTests {
    @Test func start_thenSIGHUPToOwnProcess_deliversHangup() async throws {
        let listener = try SignalListener.start(signals: [.hangup])
        #expect(throws: AgentSystemError("signal listener: another listener is already active")) {
            _ = try SignalListener.start(signals: [.hangup])
        }

        #expect(kill(getpid(), SIGHUP) == 0)
        var iterator = listener.signals.makeAsyncIterator()
        #expect(await iterator.next() == .hangup)

        #expect(kill(getpid(), SIGHUP) == 0)
        #expect(await iterator.next() == .hangup)

        listener.stop()
        #expect(await iterator.next() == nil)  // the stream ends with the listener

        // The slot is free again.
        let second = try SignalListener.start(signals: [.hangup])
        second.stop()
    }
}
