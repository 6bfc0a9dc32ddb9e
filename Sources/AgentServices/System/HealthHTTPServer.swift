import AgentCore
import Glibc
import Synchronization

/// The local health endpoint (`health.http_listen`): `GET /healthz`, `/readyz`, `/metrics` over
/// HTTP/1.1 with `Connection: close`.
///
/// It runs on its own thread (poll + non-blocking accept/read/write), never on the Swift
/// cooperative pool, so it keeps answering however busy or stuck the rest of the agent is.
/// Each request calls `snapshot` on that thread: keep it cheap and non-blocking (read a value
/// behind a `Mutex`).
///
/// Protection against slow or hostile clients on the listening interface: a request head is
/// capped at `Limits.requestHeadBytes` (431 beyond), every connection has a deadline of
/// `Limits.connectionTimeoutMilliseconds` from accept to close, and at most
/// `Limits.maximumConnections` are served at once (further ones are closed right away).
public final class HealthHTTPServer: Sendable {
    public struct Limits: Sendable, Hashable {
        public var requestHeadBytes: Int
        public var connectionTimeoutMilliseconds: Int
        public var maximumConnections: Int

        public init(
            requestHeadBytes: Int = 8192, connectionTimeoutMilliseconds: Int = 5000, maximumConnections: Int = 32
        ) {
            self.requestHeadBytes = requestHeadBytes
            self.connectionTimeoutMilliseconds = connectionTimeoutMilliseconds
            self.maximumConnections = maximumConnections
        }
    }

    public let address: HealthListenAddress
    public let limits: Limits
    private let responder: HealthHTTPResponder
    private let running = Mutex<Running?>(nil)

    /// The serving thread and the write end of the pipe that wakes its poll to stop it.
    private struct Running: Sendable {
        var thread: NativeThread
        var wakeWriteFD: Int32
        var port: Int
    }

    /// - Parameter snapshot: the current health document and readiness; called on the server thread.
    public init(
        address: HealthListenAddress, limits: Limits = Limits(), snapshot: @escaping @Sendable () -> HealthSnapshot
    ) {
        self.address = address
        self.limits = limits
        self.responder = HealthHTTPResponder(snapshot: snapshot)
    }

    deinit { stop() }

    /// The bound port while running (useful when the configured port is 0), else nil.
    public var port: Int? { running.withLock { $0?.port } }

    /// Binds, listens and starts serving. Returns the bound port.
    /// Throws e.g. `health.http_listen 127.0.0.1:9464: address already in use`.
    @discardableResult
    public func start() throws(AgentSystemError) -> Int {
        try running.withLock { (running: inout Running?) throws(AgentSystemError) -> Int in
            if let running { return running.port }
            let (listenFD, port) = try ListeningSocket.open(address)
            guard let wakePipe = makePipe(nonBlocking: true) else {
                let error = AgentSystemError.posix("health server: cannot create wake pipe")
                closeDescriptor(listenFD)
                throw error
            }
            let loop = HealthHTTPServerLoop(
                listenFD: listenFD, wakeReadFD: wakePipe.read, limits: limits, responder: responder)
            do throws(AgentSystemError) {
                let thread = try NativeThread.start(name: "zbe-health-http") { loop.run() }
                running = Running(thread: thread, wakeWriteFD: wakePipe.write, port: port)
                return port
            } catch {
                loop.closeDescriptors()
                closeDescriptor(wakePipe.write)
                throw error
            }
        }
    }

    /// Stops serving and waits for the server thread to finish. Open connections are closed.
    /// Safe to call more than once.
    public func stop() {
        guard let stopped = running.withLock({ running in
            defer { running = nil }
            return running
        }) else { return }
        var byte: UInt8 = 1
        _ = write(stopped.wakeWriteFD, &byte, 1)
        stopped.thread.join()
        closeDescriptor(stopped.wakeWriteFD)
    }
}
