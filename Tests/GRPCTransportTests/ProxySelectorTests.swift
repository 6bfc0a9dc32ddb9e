import EdgeSupport
import Testing
@testable import GRPCTransport

@Suite struct ProxySelectorTests {
    private let target = Endpoint(scheme: .https, host: "ws.zerobus.example.com", port: 443)

    private func select(_ environment: [String: String], setting: ProxySetting = .fromEnvironment,
                        rules: ProxyEnvironmentRules = .grpc, target: Endpoint? = nil) throws -> ProxyTarget? {
        try ProxySelector.proxy(for: target ?? self.target, setting: setting, rules: rules, environment: { environment[$0] })
    }

    @Test func grpcRules_takeTheFirstNonEmptyVariableInGrpcCoreOrder() throws {
        let all = ["grpc_proxy": "http://a:1", "GRPC_PROXY": "http://b:2", "https_proxy": "http://c:3",
                   "HTTPS_PROXY": "http://d:4", "http_proxy": "http://e:5", "HTTP_PROXY": "http://f:6"]
        #expect(try select(all)?.host == "a")
        #expect(try select(all.merging(["grpc_proxy": ""]) { $1 })?.host == "b")
        #expect(try select(["HTTPS_PROXY": "d:4", "http_proxy": "http://e:5"])?.host == "d")
        #expect(try select(["HTTP_PROXY": "http://f:6"]) == ProxyTarget(host: "f", port: 6, basicCredentials: nil))
        #expect(try select(["grpc_proxy": "  "]) == nil)
        #expect(try select([:]) == nil)
    }

    @Test func grpcRules_bypassUsesTheFirstNonEmptyNoProxyVariable() throws {
        let proxy = ["grpc_proxy": "http://proxy:3128"]
        #expect(try select(proxy.merging(["no_grpc_proxy": "example.com"]) { $1 }) == nil)
        #expect(try select(proxy.merging(["NO_PROXY": "example.com"]) { $1 }) == nil)
        // no_grpc_proxy wins over no_proxy even when it does not match.
        #expect(try select(proxy.merging(["no_grpc_proxy": "other.org", "no_proxy": "example.com"]) { $1 }) != nil)
    }

    @Test(arguments: [
        ("*", true), ("example.com", true), (".example.com", true), ("zerobus.example.com", true),
        ("ws.zerobus.example.com", true), (" other.org , example.com ", true), ("EXAMPLE.COM", true),
        ("ample.com", false), ("other.org", false), ("ws.zerobus.example.com.evil", false), ("", false), (",,", false),
    ])
    func noProxyMatching(entry: String, bypassed: Bool) {
        #expect(ProxySelector.isBypassed(host: "ws.zerobus.example.com", noProxy: entry) == bypassed)
    }

    @Test func noProxyMatching_ipLiteralsMatchExactly() {
        #expect(ProxySelector.isBypassed(host: "10.1.2.3", noProxy: "10.1.2.3"))
        #expect(!ProxySelector.isBypassed(host: "10.1.2.3", noProxy: "10.1.2.0/24"))
        #expect(!ProxySelector.isBypassed(host: "10.1.2.3", noProxy: "2.3"))
        #expect(ProxySelector.isBypassed(host: "::1", noProxy: "[::1]"))
    }

    @Test func explicitSettingsIgnoreTheEnvironment() throws {
        let environment = ["grpc_proxy": "http://env:1"]
        #expect(try select(environment, setting: .none) == nil)
        #expect(try select(environment.merging(["no_proxy": "*"]) { $1 }, setting: .url("http://explicit:8080"))?.host == "explicit")
    }

    @Test func proxyURL_withCredentialsBecomesBasicAuthorization() throws {
        let proxy = try ProxySelector.parseProxyURL("http://user:p%40ss@proxy.local:3128/")
        #expect(proxy == ProxyTarget(host: "proxy.local", port: 3128, basicCredentials: Base64.encode(Array("user:p@ss".utf8))))
        #expect(try ProxySelector.parseProxyURL("http://user:pass@proxy").basicCredentials == "dXNlcjpwYXNz")
        #expect(try ProxySelector.parseProxyURL("proxy.local").port == 80)
        #expect(try ProxySelector.parseProxyURL("http://[::1]:8888").host == "::1")
    }

    @Test(arguments: ["https://proxy:443", "socks5://proxy:1080", "http://user:secret@:80"])
    func proxyURL_rejectsUnsupportedSettingsWithoutLeakingSecrets(url: String) {
        do {
            _ = try ProxySelector.parseProxyURL(url)
            Issue.record("expected an error for \(url)")
        } catch {
            #expect(error.kind == .proxy)
            #expect(!error.message.contains("secret"))
        }
    }

    @Test func httpRules_followCurlStyleVariablesByTargetScheme() throws {
        let environment = ["HTTPS_PROXY": "http://secure:1", "http_proxy": "http://plain:2", "ALL_PROXY": "http://all:3",
                           "grpc_proxy": "http://grpc:4"]
        #expect(try select(environment, rules: .http)?.host == "secure")
        #expect(try select(environment, rules: .http, target: Endpoint(scheme: .http, host: "h", port: 80))?.host == "plain")
        #expect(try select(["ALL_PROXY": "http://all:3"], rules: .http)?.host == "all")
        #expect(try select(["grpc_proxy": "http://grpc:4"], rules: .http) == nil)
        #expect(try select(environment.merging(["NO_PROXY": "example.com"]) { $1 }, rules: .http) == nil)
    }
}
