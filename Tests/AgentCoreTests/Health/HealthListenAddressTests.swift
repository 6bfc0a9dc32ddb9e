import AgentCore
import Testing

@Suite struct HealthListenAddressTests {
    @Test(arguments: [
        ("127.0.0.1:9464", HealthListenAddress(host: "127.0.0.1", family: .ipv4, port: 9464)),
        ("0.0.0.0:0", HealthListenAddress(host: "0.0.0.0", family: .ipv4, port: 0)),
        ("localhost:8080", HealthListenAddress(host: "127.0.0.1", family: .ipv4, port: 8080)),
        ("[::1]:9464", HealthListenAddress(host: "::1", family: .ipv6, port: 9464)),
        ("[fd00::2]:65535", HealthListenAddress(host: "fd00::2", family: .ipv6, port: 65535)),
    ])
    func parse_whenValid(text: String, expected: HealthListenAddress) throws {
        let address = try HealthListenAddress.parse(text)
        #expect(address == expected)
        #expect(address?.description == (text.hasPrefix("localhost") ? "127.0.0.1:8080" : text))
    }

    @Test func parse_whenEmpty_meansDisabled() throws {
        #expect(try HealthListenAddress.parse("") == nil)
    }

    @Test(arguments: [
        ("9464", "expected host:port"),
        ("127.0.0.1:", "port must be a number from 0 to 65535"),
        ("127.0.0.1:65536", "port must be a number from 0 to 65535"),
        ("127.0.0.1:+80", "port must be a number from 0 to 65535"),
        ("256.0.0.1:9464", #""256.0.0.1" is not a numeric IPv4 address or localhost"#),
        ("example.com:9464", #""example.com" is not a numeric IPv4 address or localhost"#),
        ("::1:9464", "write IPv6 addresses in brackets, e.g. [::1]:9464"),
        ("[::1]9464", "expected [IPv6]:port"),
        ("[zz::1]:9464", #""zz::1" is not an IPv6 address"#),
        // inet_pton (what the listener binds with) refuses these; the hand-written check did not.
        ("01.1.1.1:9464", #""01.1.1.1" is not a numeric IPv4 address or localhost"#),
        ("[1::2::3]:9464", #""1::2::3" is not an IPv6 address"#),
        ("[::1:]:9464", #""::1:" is not an IPv6 address"#),
    ])
    func parse_whenInvalid_explains(text: String, reason: String) {
        #expect(throws: HealthListenAddressError(text, reason)) {
            _ = try HealthListenAddress.parse(text)
        }
    }

    @Test func error_descriptionNamesTheSetting() {
        #expect(HealthListenAddressError("x", "expected host:port").description
            == #"health.http_listen "x": expected host:port"#)
    }
}
