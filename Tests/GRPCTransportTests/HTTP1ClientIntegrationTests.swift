import Foundation
import Testing
@testable import GRPCTransport

extension Integration {
    @Suite struct HTTP1 {
        private func options(_ server: FixtureServer) throws -> ConnectionOptions {
            var options = ConnectionOptions()
            options.useSystemTrustStore = false
            options.extraCAFile = try server.path("ca")
            options.proxy = .none
            options.userAgent = "transport-tests/1"
            return options
        }

        private func json(_ body: [UInt8]) throws -> [String: Any] {
            try #require(JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        }

        @Test(arguments: ["http", "https"])
        func postReturnsJSON(scheme: String) async throws {
            try await FixtureServer.with("http_json_server.py") { server in
                let port = try server.port(scheme)
                let form = "grant_type=client_credentials&scope=all-apis"
                let response = try await HTTP1Client.request(
                    method: "POST", url: "\(scheme)://localhost:\(port)/token",
                    headers: [HeaderField("Content-Type", "application/x-www-form-urlencoded")],
                    body: Array(form.utf8), options: try options(server), timeout: .seconds(10))
                #expect(response.status == 200)
                #expect(response.headers.first(named: "content-type") == "application/json")
                let object = try json(response.body)
                #expect(object["access_token"] as? String == "test-token")
                #expect(object["received"] as? String == form)
                #expect(object["content_type"] as? String == "application/x-www-form-urlencoded")
                #expect(object["user_agent"] as? String == "transport-tests/1")
            }
        }

        @Test func chunkedResponse_isReassembled() async throws {
            try await FixtureServer.with("http_json_server.py") { server in
                let response = try await HTTP1Client.request(
                    method: "GET", url: "https://localhost:\(try server.port("https"))/chunked", headers: [], body: [],
                    options: try options(server), timeout: .seconds(10))
                #expect(response.status == 200)
                #expect(try json(response.body)["parts"] as? [String] == ["a", "b", "c"])
            }
        }

        @Test func errorStatus_isReturnedNotThrown() async throws {
            try await FixtureServer.with("http_json_server.py") { server in
                let response = try await HTTP1Client.request(
                    method: "POST", url: "http://127.0.0.1:\(try server.port("http"))/missing", headers: [], body: [],
                    options: try options(server), timeout: .seconds(10))
                #expect(response.status == 404)
                #expect(try json(response.body)["error"] as? String == "not found")
            }
        }

        @Test func postThroughConnectProxy() async throws {
            try await FixtureServer.with("http_json_server.py") { server in
                try await FixtureServer.with("connect_proxy.py") { proxy in
                    var options = try options(server)
                    options.proxy = .url("http://127.0.0.1:\(try proxy.port("port"))")
                    let response = try await HTTP1Client.request(
                        method: "POST", url: "https://localhost:\(try server.port("https"))/token", headers: [],
                        body: Array("x=1".utf8), options: options, timeout: .seconds(10))
                    #expect(response.status == 200)
                    #expect(try json(response.body)["received"] as? String == "x=1")
                }
            }
        }

        @Test func wrongCA_isACertificateError() async throws {
            try await FixtureServer.with("http_json_server.py") { server in
                var options = ConnectionOptions()
                options.proxy = .none
                let url = "https://localhost:\(try server.port("https"))/chunked"
                let error = await transportError { () async throws(TransportError) in
                    try await HTTP1Client.request(method: "GET", url: url,
                                                  headers: [], body: [], options: options, timeout: .seconds(10))
                }
                #expect(error?.kind == .certificateVerification)
            }
        }
    }
}
