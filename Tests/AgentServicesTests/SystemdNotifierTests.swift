import AgentServices
import Glibc
import Testing

/// A datagram socket standing in for systemd's notification socket.
private struct NotifySocket {
    let fd: Int32

    /// Binds to `name`: a path, or an abstract name when it starts with "@".
    init(name: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count + (abstract ? 0 : 1))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        try #require(result == 0, "bind \(name): errno \(errno)")
    }

    /// The next datagram, or nil after the 5 s timeout.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return count < 0 ? nil : String(decoding: buffer[0..<count], as: UTF8.self)
    }

    func close() { _ = Glibc.close(fd) }
}

@Suite struct SystemdNotifierTests {
    @Test func notify_whenSocketIsAPath_sendsEachState() throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let path = temporary.path + "/notify.sock"
        let socket = try NotifySocket(name: path)
        defer { socket.close() }
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path], processID: getpid())
        #expect(notifier.isEnabled)

        try notifier.ready()
        try notifier.watchdog()
        try notifier.status("draining 40312 rows\nafter outage")
        try notifier.stopping()

        #expect(socket.receive() == "READY=1")
        #expect(socket.receive() == "WATCHDOG=1")
        #expect(socket.receive() == "STATUS=draining 40312 rows after outage")
        #expect(socket.receive() == "STOPPING=1")
    }

    @Test func notify_whenSocketIsAbstract_sendsToTheAbstractName() throws {
        let name = "@zerobus-edge-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let socket = try NotifySocket(name: name)
        defer { socket.close() }
        try SystemdNotifier(environment: ["NOTIFY_SOCKET": name], processID: getpid()).ready()
        #expect(socket.receive() == "READY=1")
    }

    @Test func notify_whenNoSocket_isANoOp() throws {
        let notifier = SystemdNotifier(environment: [:], processID: getpid())
        #expect(!notifier.isEnabled)
        #expect(notifier.watchdogInterval == nil)
        try notifier.ready()
    }

    @Test func notify_whenNobodyListens_throwsNamingTheSocket() {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/notify.sock"], processID: 1)
        #expect(throws: AgentSystemError("sd_notify to /nonexistent/notify.sock: no such file or directory",
                                         errnoCode: ENOENT)) {
            try notifier.ready()
        }
    }

    @Test(arguments: [
        (["WATCHDOG_USEC": "30000000"], Duration?.some(.seconds(30))),
        (["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4242"], .some(.seconds(30))),
        (["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"], nil),  // meant for another process
        (["WATCHDOG_USEC": "0"], nil),
        (["WATCHDOG_USEC": "soon"], nil),
        ([:], nil),
    ])
    func watchdogInterval_fromEnvironment(environment: [String: String], expected: Duration?) {
        var environment = environment
        environment["NOTIFY_SOCKET"] = "/run/systemd/notify"
        #expect(SystemdNotifier(environment: environment, processID: 4242).watchdogInterval == expected)
    }
}
