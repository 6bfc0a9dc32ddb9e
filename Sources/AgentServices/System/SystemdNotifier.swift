import Glibc

/// The `sd_notify` protocol without libsystemd: datagrams such as `READY=1` sent to the
/// AF_UNIX socket named by `NOTIFY_SOCKET` (a path, or an abstract name written `@name`).
///
/// Without `NOTIFY_SOCKET` (not started by systemd, or not `Type=notify`) every call is a no-op.
/// The watchdog interval comes from `WATCHDOG_USEC`, honoured only when `WATCHDOG_PID` is
/// absent or names this process; pinging at half the interval is the caller's job.
///
/// The environment is a parameter so tests can point a notifier at their own socket without
/// touching the process environment; `fromProcessEnvironment()` is the production constructor.
public struct SystemdNotifier: Sendable, Hashable {
    /// `NOTIFY_SOCKET` as given, nil when notifications are disabled.
    public let socketName: String?
    /// `WATCHDOG_USEC` when the watchdog is enabled for this process.
    public let watchdogInterval: Duration?

    public init(environment: [String: String], processID: Int32) {
        let socket = environment["NOTIFY_SOCKET"] ?? ""
        socketName = socket.isEmpty ? nil : socket
        var interval: Duration?
        if let usecText = environment["WATCHDOG_USEC"], let usec = UInt64(usecText), usec > 0,
           environment["WATCHDOG_PID"].map({ Int32($0) == processID }) ?? true
        {
            interval = .microseconds(usec)
        }
        watchdogInterval = interval
    }

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from the process environment.
    public static func fromProcessEnvironment() -> SystemdNotifier {
        var environment: [String: String] = [:]
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        return SystemdNotifier(environment: environment, processID: getpid())
    }

    public var isEnabled: Bool { socketName != nil }

    /// `READY=1`: startup finished (systemd's `Type=notify` waits for it).
    public func ready() throws(AgentSystemError) { try notify("READY=1") }

    /// `WATCHDOG=1`: the service is alive.
    public func watchdog() throws(AgentSystemError) { try notify("WATCHDOG=1") }

    /// `STOPPING=1`: shutdown has begun.
    public func stopping() throws(AgentSystemError) { try notify("STOPPING=1") }

    /// `STATUS=<text>`, shown by `systemctl status`. Line breaks would start new assignments,
    /// so they become spaces.
    public func status(_ text: String) throws(AgentSystemError) {
        try notify("STATUS=" + String(text.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 }))
    }

    /// Sends one datagram of newline-separated `KEY=value` assignments. No-op when disabled.
    public func notify(_ state: String) throws(AgentSystemError) {
        guard let socketName else { return }
        let context = "sd_notify to \(socketName)"
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketName.utf8)
        let isAbstract = pathBytes.first == UInt8(ascii: "@")
        if isAbstract { pathBytes[0] = 0 }  // abstract namespace: leading NUL, no terminator
        guard pathBytes.first == UInt8(ascii: "/") || isAbstract else {
            throw AgentSystemError("\(context): NOTIFY_SOCKET must be an absolute path or start with @")
        }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { throw AgentSystemError("\(context): socket name too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        let length = socklen_t(pathOffset + pathBytes.count + (isAbstract ? 0 : 1))

        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw AgentSystemError.posix(context) }
        defer { closeDescriptor(fd) }
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes {
                    sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        guard sent >= 0 else { throw AgentSystemError.posix(context) }
    }
}
