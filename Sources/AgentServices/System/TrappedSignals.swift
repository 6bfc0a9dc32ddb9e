import Glibc
import UnixSignals

/// SIGTERM and SIGINT (stop) and SIGHUP (reload), trapped by `trap()` first thing in `run`: one
/// that arrives while the agent is still starting (a long journal replay) waits in the sequence
/// for `SignalService` instead of killing the process with the default action.
public struct TrappedSignals: Sendable {
    let sequence: UnixSignalsSequence

    /// Also ignores SIGPIPE for good: a peer closing a socket must be an error code, not the
    /// death of the process (mbedTLS writes without MSG_NOSIGNAL).
    public static func trap() async -> TrappedSignals {
        _ = signal(SIGPIPE, SIG_IGN)
        return TrappedSignals(sequence: await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup))
    }
}
