import AgentCore
import AgentServices
import Glibc
import Synchronization
import Testing

@Suite struct HealthHTTPServerTests {
    static let report = HealthReport(
        gatewayID: "gw-test", state: .degraded, since: 1_780_000_000,
        mqtt: .init(connected: true, messagesTotal: 42),
        zerobus: .init(connected: false, lastAckAt: nil, offlineForSeconds: 12, reconnectsTotal: 3,
                       lastError: "UNAVAILABLE: refused"),
        buffer: .init(rows: 10, bytes: 4096, maxBytes: 1 << 20, fillRatio: 0.00390625, oldestAgeSeconds: 12,
                      droppedTotal: 0, quarantinedTotal: 1),
        tables: [.init(name: "main.iot.readings", rows: 10, ackedTotal: 500, ratePerSecond: 0)],
        version: "0.1.0-test")

    /// The snapshot the server serves; tests flip readiness through it.
    final class SnapshotSource: Sendable {
        let current = Mutex(HealthSnapshot(report: HealthHTTPServerTests.report, readiness: .ready))
        func set(_ readiness: HealthReadiness) { current.withLock { $0.readiness = readiness } }
        func get() -> HealthSnapshot { current.withLock { $0 } }
    }

    /// A running server on a kernel-chosen loopback port, stopped when `body` returns.
    func withServer(
        limits: HealthHTTPServer.Limits = .init(), _ body: (HealthHTTPServer, Int, SnapshotSource) throws -> Void
    ) throws {
        let source = SnapshotSource()
        let address = try #require(try HealthListenAddress.parse("127.0.0.1:0"))
        let server = HealthHTTPServer(address: address, limits: limits) { source.get() }
        let port = try server.start()
        defer { server.stop() }
        #expect(port > 0)
        #expect(server.port == port)
        try body(server, port, source)
    }

    @Test func get_healthz_returnsTheJSONDocument() throws {
        try withServer { _, port, _ throws in
            let response = try HTTPResponse.get(port: port, "/healthz")
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.headers["connection"] == "close")
            #expect(response.headers["content-length"] == String(response.body.utf8.count))
            #expect(try HealthReport.parse(json: response.body) == Self.report)
        }
    }

    @Test func get_readyz_whenReady_returns200() throws {
        try withServer { _, port, _ throws in
            let response = try HTTPResponse.get(port: port, "/readyz")
            #expect(response.status == 200)
            #expect(response.body == "ready\n")
        }
    }

    @Test func get_readyz_whenNotReady_returns503WithReason() throws {
        try withServer { _, port, source throws in
            source.set(.notReady("MQTT disconnected"))
            let response = try HTTPResponse.get(port: port, "/readyz")
            #expect(response.status == 503)
            #expect(response.body == "not ready: MQTT disconnected\n")
            source.set(.ready)
            #expect(try HTTPResponse.get(port: port, "/readyz").status == 200)
        }
    }

    @Test func get_metrics_returnsPrometheusText() throws {
        try withServer { _, port, _ throws in
            let response = try HTTPResponse.get(port: port, "/metrics?name[]=x")
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(response.body == Self.report.prometheusText())
            #expect(response.body.contains("zerobus_edge_mqtt_messages_total 42\n"))
        }
    }

    @Test func get_unknownPath_returns404() throws {
        try withServer { _, port, _ throws in
            #expect(try HTTPResponse.get(port: port, "/").status == 404)
            #expect(try HTTPResponse.get(port: port, "/healthz/extra").status == 404)
        }
    }

    @Test func post_returns405WithAllowHeader() throws {
        try withServer { _, port, _ throws in
            let response = try HTTPResponse.fetch(
                port: port, "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world")
            #expect(response.status == 405)
            #expect(response.headers["allow"] == "GET")
        }
    }

    @Test func malformedRequestLine_returns400() throws {
        try withServer { _, port, _ throws in
            #expect(try HTTPResponse.fetch(port: port, "HELLO\r\n\r\n").status == 400)
        }
    }

    @Test func oversizedHead_returns431() throws {
        try withServer(limits: .init(requestHeadBytes: 1024)) { _, port, _ throws in
            let padding = String(repeating: "a", count: 4000)
            let response = try HTTPResponse.fetch(port: port, "GET /healthz HTTP/1.1\r\nX-Pad: \(padding)\r\n\r\n")
            #expect(response.status == 431)
        }
    }

    @Test func idleClient_doesNotBlockOthersAndIsClosedAtItsDeadline() throws {
        try withServer(limits: .init(connectionTimeoutMilliseconds: 300)) { _, port, _ throws in
            let idle = try RawSocketClient.connect(port: port)
            defer { idle.close() }
            idle.send("GET /hea")  // never finishes its request
            #expect(try HTTPResponse.get(port: port, "/healthz").status == 200)
            // The server gives up on the idle client: it sees EOF well before its own 5 s timeout.
            #expect(idle.readToEnd() == "")
        }
    }

    @Test func start_whenPortTaken_throwsAddressInUse() throws {
        try withServer { _, port, _ throws in
            let address = try #require(try HealthListenAddress.parse("127.0.0.1:\(port)"))
            let second = HealthHTTPServer(address: address) { HealthSnapshot(report: Self.report, readiness: .ready) }
            #expect(throws: AgentSystemError(
                "health.http_listen 127.0.0.1:\(port): address already in use", errnoCode: EADDRINUSE)) {
                try second.start()
            }
            #expect(second.port == nil)
        }
    }

    @Test func stop_closesTheListeningSocket() throws {
        var stoppedPort = 0
        try withServer { server, port, _ throws in
            stoppedPort = port
            server.stop()
            server.stop()  // idempotent
            #expect(server.port == nil)
        }
        #expect(throws: RawSocketClient.ConnectError.self) {
            _ = try RawSocketClient.connect(port: stoppedPort)
        }
    }

    @Test func get_healthz_whenIPv6Loopback_serves() throws {
        let address = try #require(try HealthListenAddress.parse("[::1]:0"))
        let server = HealthHTTPServer(address: address) { HealthSnapshot(report: Self.report, readiness: .ready) }
        let port = try server.start()
        defer { server.stop() }
        let response = try HTTPResponse.fetch(port: port, "GET /readyz HTTP/1.1\r\n\r\n", ipv6: true)
        #expect(response.status == 200)
    }
}
