import Testing
@testable import GRPCTransport

extension Integration {
    /// Which TLS version is negotiated depends on the mbedTLS the binary links: 3.x (Debian 13)
    /// must reach TLS 1.3 with a server that offers it; 2.28 (Debian 12, built without 1.3) must
    /// settle on 1.2 with the same server. Both must still work with a TLS 1.2-only server.
    @Suite struct TLSVersions {
        /// Debian's 3.6 build has TLS 1.3 compiled in; if a future build dropped it, this fails
        /// instead of silently testing 1.2 twice.
        @Test func linkedMbedTLS_hasTLS13ExactlyFromVersion3() {
            #expect(TLSLibrary.supportsTLS13 == (TLSLibrary.majorVersion >= 3), "\(TLSLibrary.version)")
        }

        @Test func grpcioServer_negotiatesTheNewestVersionTheLinkedMbedTLSHas() async throws {
            let expected = TLSLibrary.majorVersion >= 3 ? "TLSv1.3" : "TLSv1.2"
            try await FixtureServer.with("grpc_echo_server.py") { server in
                let connection = try await HTTP2Connection.connect(to: try server.tlsEndpoint(), options: try server.tlsOptions())
                #expect(connection.tlsVersion == expected, "\(TLSLibrary.version)")
                let outcome = try await connection.exchange(path: "/test.Echo/Bidi", messages: numberedMessages(200))
                #expect(outcome.status == .ok && outcome.messages == numberedMessages(200))
                await connection.close()
            }
        }

        @Test func tls12OnlyServer_isStillServed() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { backend in
                let h2c = "127.0.0.1:\(try backend.port("h2c"))"
                try await FixtureServer.with("tls_front.py", ["--backend", h2c, "--max-version", "1.2"]) { front in
                    let endpoint = Endpoint(scheme: .https, host: "localhost", port: try front.port("tls"))
                    let connection = try await HTTP2Connection.connect(to: endpoint, options: try front.tlsOptions())
                    #expect(connection.tlsVersion == "TLSv1.2")
                    let outcome = try await connection.exchange(path: "/test.Echo/Bidi", messages: numberedMessages(200))
                    #expect(outcome.status == .ok && outcome.messages == numberedMessages(200))
                    await connection.close()
                }
            }
        }

        @Test func plaintextConnection_hasNoTLSVersion() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                let connection = try await HTTP2Connection.connect(to: try server.h2cEndpoint(), options: try server.tlsOptions())
                #expect(connection.tlsVersion == nil)
                await connection.close()
            }
        }
    }
}
