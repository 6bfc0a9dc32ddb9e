import Testing
@testable import GRPCTransport

@Suite struct EndpointTests {
    @Test(arguments: [
        ("https://example.com", Endpoint(scheme: .https, host: "example.com", port: 443)),
        ("http://example.com", Endpoint(scheme: .http, host: "example.com", port: 80)),
        ("example.com", Endpoint(scheme: .https, host: "example.com", port: 443)),
        ("example.com:8443", Endpoint(scheme: .https, host: "example.com", port: 8443)),
        ("HTTP://Example.com:8080/some/path?q=1", Endpoint(scheme: .http, host: "Example.com", port: 8080)),
        ("https://1234.zerobus.us-west-2.cloud.databricks.com/", Endpoint(scheme: .https, host: "1234.zerobus.us-west-2.cloud.databricks.com", port: 443)),
        ("http://[::1]:50051", Endpoint(scheme: .http, host: "::1", port: 50051)),
        ("[fe80::1]", Endpoint(scheme: .https, host: "fe80::1", port: 443)),
        ("  127.0.0.1:9000  ", Endpoint(scheme: .https, host: "127.0.0.1", port: 9000)),
    ])
    func parsing_validURLs(url: String, expected: Endpoint) throws {
        #expect(try Endpoint(parsing: url) == expected)
    }

    @Test(arguments: ["ftp://example.com", "https://", "https://host:0", "https://host:70000", "https://host:abc",
                      "https://[::1", "::1:443", "https://user:pw@host", "https://[::1]x"])
    func parsing_rejectsInvalidURLs(url: String) {
        #expect(throws: TransportError.self) { try Endpoint(parsing: url) }
        do {
            _ = try Endpoint(parsing: url)
        } catch {
            #expect(error.kind == .invalidEndpoint)
        }
    }

    @Test func authority_bracketsIPv6AndAlwaysHasThePort() {
        #expect(Endpoint(scheme: .https, host: "example.com", port: 443).authority == "example.com:443")
        #expect(Endpoint(scheme: .http, host: "::1", port: 8080).authority == "[::1]:8080")
    }

    @Test func ipLiteralDetection() {
        #expect(Endpoint(scheme: .https, host: "10.0.0.1", port: 1).hostIsIPLiteral)
        #expect(Endpoint(scheme: .https, host: "::1", port: 1).hostIsIPLiteral)
        #expect(!Endpoint(scheme: .https, host: "localhost", port: 1).hostIsIPLiteral)
        #expect(!Endpoint(scheme: .https, host: "1.2.3.example", port: 1).hostIsIPLiteral)
        #expect(!Endpoint(scheme: .https, host: "300.1.1.1", port: 1).hostIsIPLiteral)
    }

    @Test func parsedURL_keepsPathAndQueryForHTTP1() throws {
        #expect(try ParsedURL(parsing: "https://host/oidc/v1/token?x=1#frag").requestTarget == "/oidc/v1/token?x=1")
        #expect(try ParsedURL(parsing: "http://host:81").requestTarget == "/")
        #expect(try ParsedURL(parsing: "http://host?x").requestTarget == "/?x")
    }
}
