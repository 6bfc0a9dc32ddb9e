import Glibc
import Synchronization
import TestSupport
import Testing

@testable import ZerobusClient

/// `StreamConfiguration.onOpenAttemptFailed`: the agent's health shows why the first connection
/// fails while `createStream` is still retrying. A real refused TCP connection, no server.
@Suite struct OpenAttemptHookTests {
    @Test func everyFailedOpenAttemptIsReportedBeforeTheNext() async throws {
        let port = try #require(Self.closedPort())
        let client = try ZerobusClient(endpoint: "http://127.0.0.1:\(port)")
        let seen = Mutex<[String]>([])
        let clock = ManualClock()
        var configuration = StreamConfiguration()
        configuration.clock = clock
        configuration.recovery = RecoveryPolicy(
            backoff: BackoffPolicy(initial: .seconds(1), maximum: .seconds(1), jitter: false), maxAttempts: 3)
        configuration.onOpenAttemptFailed = { error in seen.withLock { $0.append(error.description) } }
        let opening = Task {
            try await client.createStream(
                table: "main.iot.readings", format: .json, headers: BearerTokenProvider(token: "t"), configuration: configuration)
        }
        // While the stream waits out its backoff on the clock, the failure before it is reported.
        for reported in 1...2 {
            await clock.sleepers(atLeast: 1)
            #expect(seen.withLock { $0.count } == reported)
            clock.advance(by: .seconds(1))
        }
        await #expect(throws: ZerobusError.self) { _ = try await opening.value }
        let errors = seen.withLock { $0 }
        #expect(errors.count == 3, "\(errors)")
        #expect(errors.allSatisfy { $0.contains("Connection refused") }, "\(errors)")
    }

    /// A loopback port nothing listens on: bound by the kernel's choice, then closed.
    static func closedPort() -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }
}
