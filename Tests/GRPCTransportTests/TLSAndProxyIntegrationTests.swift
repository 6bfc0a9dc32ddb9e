import Foundation
import Testing
@testable import GRPCTransport

extension Integration {
    @Suite struct TLSAndProxy {
        @Test func unrelatedCA_isRefusedBeforeAnyRequestIsSent() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                let wrongTrust = try server.tlsOptions(caKey: "other_ca")
                let endpoint = try server.tlsEndpoint()
                let error = await transportError { () async throws(TransportError) in
                    try await HTTP2Connection.connect(to: endpoint, options: wrongTrust)
                }
                #expect(error?.kind == .certificateVerification)
                #expect(error?.message.contains("not correctly signed by the trusted CA") == true, "\(String(describing: error))")
                let connection = try await HTTP2Connection.connect(to: try server.tlsEndpoint(), options: try server.tlsOptions())
                #expect(try await connection.echoServerCallCount() == 0)
                await connection.close()
            }
        }

        @Test func systemTrustStorePlusExtraCA_verifiesTheTestServer() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                var options = try server.tlsOptions()
                options.useSystemTrustStore = true
                let connection = try await HTTP2Connection.connect(to: try server.tlsEndpoint(), options: options)
                #expect(try await connection.echoServerCallCount() == 0)
                await connection.close()
            }
        }

        @Test func systemTrustStoreAlone_refusesTheTestCA() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                var options = ConnectionOptions()
                options.proxy = .none
                let endpoint = try server.tlsEndpoint()
                let error = await transportError { () async throws(TransportError) in
                    try await HTTP2Connection.connect(to: endpoint, options: options)
                }
                #expect(error?.kind == .certificateVerification)
            }
        }

        /// mbedTLS 2.28 does not match iPAddress SANs: dialling an IP needs serverNameOverride.
        @Test func ipLiteralHost_verifiesOnlyWithServerNameOverride() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                let byIP = try server.tlsEndpoint(host: "127.0.0.1")
                var options = try server.tlsOptions()
                let error = await transportError { () async throws(TransportError) in
                    try await HTTP2Connection.connect(to: byIP, options: options)
                }
                #expect(error?.kind == .certificateVerification)
                options.serverNameOverride = "localhost"
                let connection = try await HTTP2Connection.connect(to: byIP, options: options)
                #expect(try await connection.echoServerCallCount() == 0)
                await connection.close()
            }
        }

        @Test func serverWithoutALPN_isRejectedForHTTP2() async throws {
            try await FixtureServer.with("http_json_server.py") { server in
                var options = ConnectionOptions()
                options.useSystemTrustStore = false
                options.extraCAFile = try server.path("ca")
                options.proxy = .none
                let endpoint = Endpoint(scheme: .https, host: "localhost", port: try server.port("https"))
                let error = await transportError { () async throws(TransportError) in
                    try await HTTP2Connection.connect(to: endpoint, options: options)
                }
                #expect(error?.kind == .alpn)
                #expect(error?.message.contains("server did not negotiate HTTP/2 (ALPN h2)") == true)
            }
        }

        @Test func refusedPort_isAConnectError() async throws {
            var options = ConnectionOptions()
            options.proxy = .none
            let error = await transportError { () async throws(TransportError) in
                try await HTTP2Connection.connect(to: Endpoint(scheme: .http, host: "127.0.0.1", port: 1), options: options)
            }
            #expect(error?.kind == .connect)
            #expect(error?.message.contains("127.0.0.1:1") == true)
        }

        @Test func unknownHost_isADNSError() async throws {
            var options = ConnectionOptions()
            options.proxy = .none
            let error = await transportError { () async throws(TransportError) in
                try await HTTP2Connection.connect(to: Endpoint(scheme: .https, host: "no-such-host.invalid", port: 443), options: options)
            }
            #expect(error?.kind == .dns)
        }

        @Test func explicitProxy_tunnelsTLSAndH2C() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                try await FixtureServer.with("connect_proxy.py") { proxy in
                    let proxyURL = "http://127.0.0.1:\(try proxy.port("port"))"
                    var options = try server.tlsOptions()
                    options.proxy = .url(proxyURL)
                    let tls = try await HTTP2Connection.connect(to: try server.tlsEndpoint(), options: options)
                    let outcome = try await tls.exchange(path: "/test.Echo/Bidi", messages: numberedMessages(100))
                    #expect(outcome.status == .ok && outcome.messages == numberedMessages(100))
                    await tls.close()
                    #expect(try await tunnelCount(proxy) == 1)

                    let h2c = try await HTTP2Connection.connect(to: try server.h2cEndpoint(), options: options)
                    #expect(try await h2c.echoServerCallCount() == 1)
                    await h2c.close()
                    #expect(try await tunnelCount(proxy) == 2)
                }
            }
        }

        @Test func proxyCredentials_areSentAndRefusalsNameTheStatus() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                try await FixtureServer.with("connect_proxy.py", ["--auth", "edge:s3cret"]) { proxy in
                    let port = try proxy.port("port")
                    var options = try server.tlsOptions()
                    options.proxy = .url("http://edge:s3cret@127.0.0.1:\(port)")
                    let connection = try await HTTP2Connection.connect(to: try server.tlsEndpoint(), options: options)
                    #expect(try await connection.echoServerCallCount() == 0)
                    await connection.close()

                    options.proxy = .url("http://edge:wrong-password@127.0.0.1:\(port)")
                    let endpoint = try server.tlsEndpoint()
                    let error = await transportError { () async throws(TransportError) in
                        try await HTTP2Connection.connect(to: endpoint, options: options)
                    }
                    #expect(error?.kind == .proxy)
                    #expect(error?.message.contains("407 Proxy Authentication Required") == true)
                    #expect(error?.message.contains("wrong-password") == false)
                    #expect(try await tunnelCount(proxy) == 1)
                }
            }
        }

        @Test func proxyFromEnvironment_isUsedUnlessBypassed() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                try await FixtureServer.with("connect_proxy.py") { proxy in
                    let variables = ["grpc_proxy", "no_grpc_proxy"]
                    let saved = variables.map { ProcessInfo.processInfo.environment[$0] }
                    defer {
                        for (name, value) in zip(variables, saved) {
                            if let value { setenv(name, value, 1) } else { unsetenv(name) }
                        }
                    }
                    setenv("grpc_proxy", "http://127.0.0.1:\(try proxy.port("port"))", 1)
                    setenv("no_grpc_proxy", "example.invalid", 1)
                    var options = try server.tlsOptions()
                    options.proxy = .fromEnvironment
                    let proxied = try await HTTP2Connection.connect(to: try server.tlsEndpoint(), options: options)
                    #expect(try await proxied.echoServerCallCount() == 0)
                    await proxied.close()
                    #expect(try await tunnelCount(proxy) == 1)

                    setenv("no_grpc_proxy", "example.invalid, .localhost", 1)
                    let direct = try await HTTP2Connection.connect(to: try server.tlsEndpoint(), options: options)
                    #expect(try await direct.echoServerCallCount() == 0)
                    await direct.close()
                    #expect(try await tunnelCount(proxy) == 1)
                }
            }
        }

        private func tunnelCount(_ proxy: FixtureServer) async throws -> Int {
            var options = ConnectionOptions()
            options.proxy = .none
            let response = try await HTTP1Client.request(method: "GET", url: "http://127.0.0.1:\(try proxy.port("port"))/count",
                                                         headers: [], body: [], options: options, timeout: .seconds(10))
            return Int(String(decoding: response.body, as: UTF8.self)) ?? -1
        }
    }
}
