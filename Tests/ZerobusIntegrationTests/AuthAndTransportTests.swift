import Foundation
import GRPCTransport
import Testing
import ZerobusClient

/// OAuth, proxies and TLS trust against the emulator.
@Suite(.serialized) struct AuthAndTransportTests {
    private let clientID = "edge-client"
    private let clientSecret = "s3cret-value"

    private func oauthEmulator() throws -> Emulator {
        try Emulator(["--require-auth", "--client-id", clientID, "--client-secret", clientSecret])
    }

    private func oauth(_ emulator: Emulator, endpoint: String) -> OAuthTokenProvider {
        OAuthTokenProvider(
            workspaceURL: emulator.httpURL, zerobusEndpoint: endpoint, clientID: clientID,
            clientSecret: clientSecret, transport: emulator.transport)
    }

    @Test func oauthClientCredentialsMintOneTokenForTwoStreams() async throws {
        let emulator = try oauthEmulator()
        defer { emulator.stop() }
        let client = try ZerobusClient(endpoint: emulator.tlsURL, transport: emulator.transport)
        let provider = oauth(emulator, endpoint: emulator.tlsURL)
        let first = try await client.createStream(table: TestRows.table, format: TestRows.format, headers: provider)
        let second = try await client.createStream(table: TestRows.table, format: TestRows.format, headers: provider)
        try await first.ingest(TestRows.row(1))
        try await second.ingest(TestRows.row(2))
        try await first.close()
        try await second.close()
        let stats = try await emulator.stats()
        #expect(stats["mints"] as? Int == 1)
        #expect(Set(TestRows.ids(of: try emulator.records(table: TestRows.table))) == [1, 2])
    }

    @Test func wrongClientSecretIsANonRetryableTokenError() async throws {
        let emulator = try oauthEmulator()
        defer { emulator.stop() }
        let client = try ZerobusClient(endpoint: emulator.grpcURL, transport: emulator.transport)
        let provider = OAuthTokenProvider(
            workspaceURL: emulator.httpURL, zerobusEndpoint: emulator.grpcURL, clientID: clientID,
            clientSecret: "wrong", transport: emulator.transport)
        let error = await #expect(throws: ZerobusError.self) {
            _ = try await client.createStream(table: TestRows.table, format: TestRows.format, headers: provider)
        }
        #expect(error?.code == .tokenFetch)
        #expect(error?.isRetryable == false)
        #expect(error?.description.contains("wrong") == false)
        #expect(error?.description.contains(clientSecret) == false)
    }

    @Test func rejectedTokenIsReMintedOnceAndTheStreamContinues() async throws {
        let emulator = try oauthEmulator()
        defer { emulator.stop() }
        let client = try ZerobusClient(endpoint: emulator.grpcURL, transport: emulator.transport)
        var configuration = StreamConfiguration()
        configuration.recovery.backoff = BackoffPolicy(initial: .milliseconds(50), maximum: .milliseconds(200))
        let stream = try await client.createStream(
            table: TestRows.table, format: TestRows.format, headers: oauth(emulator, endpoint: emulator.grpcURL),
            configuration: configuration)
        try await stream.ingest(batch: TestRows.batches(count: 100, batchSize: 100)[0])
        try await stream.flush()

        // The emulator forgets every token it minted; the next RPC open is rejected with
        // UNAUTHENTICATED, after which the client must mint a new token and carry on.
        try await emulator.reset()
        try await emulator.setFaults(["unavailable_after_records": 1])
        try await stream.ingest(batch: TestRows.batches(count: 100, batchSize: 100, startingAt: 100)[0])
        try await stream.flush()
        try await stream.close()

        let stats = try await emulator.stats()
        #expect(stats["mints"] as? Int == 1)
        var seen = Set<Int>()
        let ids = TestRows.ids(of: try emulator.records(table: TestRows.table)).filter { seen.insert($0).inserted }
        #expect(ids == Array(0..<200))
    }

    @Test func trafficGoesThroughAConnectProxy() async throws {
        let emulator = try Emulator()
        defer { emulator.stop() }
        let proxy = try ConnectProxy()
        defer { proxy.stop() }
        var transport = emulator.transport
        transport.proxy = .url(proxy.url)
        let client = try ZerobusClient(endpoint: emulator.tlsURL, transport: transport)
        let stream = try await client.createStream(
            table: TestRows.table, format: TestRows.format, headers: BearerTokenProvider(token: "t"))
        for batch in TestRows.batches(count: 1000, batchSize: 100) { try await stream.ingest(batch: batch) }
        try await stream.close()
        #expect(TestRows.ids(of: try emulator.records(table: TestRows.table)) == Array(0..<1000))
        #expect(try await proxy.tunnelCount() >= 1)
    }

    @Test func serverCertificateFromAnUnknownCAIsRefusedAndNothingIsSent() async throws {
        let emulator = try Emulator()
        defer { emulator.stop() }
        let other = try Emulator()  // its CA is a different one
        defer { other.stop() }
        var transport = emulator.transport
        transport.extraCAFile = other.caFile
        // Even a caller that recovers forever learns of it at once: it is configuration (or
        // the clock), which no retry inside the stream can fix.
        var configuration = StreamConfiguration()
        configuration.recovery = .forever(backoff: BackoffPolicy(initial: .milliseconds(50), maximum: .milliseconds(100)))
        let client = try ZerobusClient(endpoint: emulator.tlsURL, transport: transport)
        let error = await #expect(throws: ZerobusError.self) {
            _ = try await client.createStream(
                table: TestRows.table, format: TestRows.format, headers: BearerTokenProvider(token: "t"),
                configuration: configuration)
        }
        #expect(error?.code == .untrustedCertificate)
        #expect(error?.isRetryable == false)
        #expect(error?.description.hasPrefix("server certificate not trusted: ") == true, "\(String(describing: error))")
        let stats = try await emulator.stats()
        #expect(stats["opens"] as? Int == 0)
    }
}
