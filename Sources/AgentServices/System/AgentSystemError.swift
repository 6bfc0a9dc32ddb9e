import EdgeSupport
import Glibc

/// A failed operating-system call of the agent's system services (health server, health file,
/// sd_notify, signals), with a message that names what was being done and to what.
public struct AgentSystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// For example `health.http_listen 127.0.0.1:9464: address already in use`.
    public var message: String
    /// The `errno` value behind the failure, if there was one.
    public var errnoCode: Int32?

    public init(_ message: String, errnoCode: Int32? = nil) {
        self.message = message
        self.errnoCode = errnoCode
    }

    /// `"<context>: <strerror(code)>"` with the first letter of the C message lower-cased, so it
    /// reads as one sentence.
    static func posix(_ context: String, _ code: Int32 = errno) -> AgentSystemError {
        AgentSystemError("\(context): \(ErrnoText.inSentence(code))", errnoCode: code)
    }

    public var description: String { message }
}
