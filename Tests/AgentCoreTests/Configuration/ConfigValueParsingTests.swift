import TOML
import Testing
@testable import AgentCore

@Suite struct ConfigValueParsingTests {
    @Test(arguments: [
        ("4MiB", Int64(4_194_304)), ("512MiB", 536_870_912), ("512 MiB", 536_870_912), ("1GB", 1_000_000_000),
        ("1gib", 1_073_741_824), ("64k", 64_000), ("64KiB", 65_536), ("1048576", 1_048_576), ("10B", 10),
        ("2TB", 2_000_000_000_000), (" 3 mb ", 3_000_000),
    ])
    func byteSizes(text: String, bytes: Int64) {
        #expect(ConfigValueParsing.byteSize(text) == bytes)
    }

    @Test(arguments: ["", "MiB", "1.5GiB", "-1MiB", "4 MiBs", "99999999999TiB", "4 M i B"])
    func invalidByteSizes(text: String) {
        #expect(ConfigValueParsing.byteSize(text) == nil)
    }

    @Test(arguments: [
        ("7d", Duration.seconds(604_800)), ("12h", .seconds(43_200)), ("30m", .seconds(1800)), ("45s", .seconds(45)),
        ("500ms", .milliseconds(500)), ("1h30m", .seconds(5400)), ("90", .seconds(90)), ("1m500ms", .milliseconds(60_500)),
    ])
    func durations(text: String, duration: Duration) {
        #expect(ConfigValueParsing.duration(text) == duration)
    }

    @Test(arguments: ["", "d", "7 days", "1.5h", "7D", "-5s", "5s ms", "10y"])
    func invalidDurations(text: String) {
        #expect(ConfigValueParsing.duration(text) == nil)
    }

    @Test func formatting() {
        #expect(ConfigValueParsing.formatBytes(536_870_912) == "512 MiB")
        #expect(ConfigValueParsing.formatBytes(10_420_224) == "10176 KiB")
        #expect(ConfigValueParsing.formatBytes(1 << 30) == "1 GiB")
        #expect(ConfigValueParsing.formatBytes(1000) == "1000 bytes")
        #expect(ConfigValueParsing.formatBytes(1) == "1 byte")
        #expect(ConfigValueParsing.formatDuration(.seconds(604_800)) == "7d")
        #expect(ConfigValueParsing.formatDuration(.seconds(5400)) == "90m")
        #expect(ConfigValueParsing.formatDuration(.milliseconds(500)) == "500ms")
        #expect(ConfigValueParsing.formatDuration(.milliseconds(30_000)) == "30s")
    }

    @Test func hostAndPort() {
        #expect(ConfigValueParsing.hostAndPort("127.0.0.1:9464", defaultPort: nil) == HostPort(host: "127.0.0.1", port: 9464))
        #expect(ConfigValueParsing.hostAndPort("[::1]:80", defaultPort: nil) == HostPort(host: "::1", port: 80))
        #expect(ConfigValueParsing.hostAndPort("gateway.local", defaultPort: 1883) == HostPort(host: "gateway.local", port: 1883))
        #expect(ConfigValueParsing.hostAndPort("[fe80::1]", defaultPort: 8883) == HostPort(host: "fe80::1", port: 8883))
        #expect(ConfigValueParsing.hostAndPort("gateway.local", defaultPort: nil) == nil)
        #expect(ConfigValueParsing.hostAndPort("host:", defaultPort: nil) == nil)
        #expect(ConfigValueParsing.hostAndPort(":9464", defaultPort: nil) == nil)
        #expect(ConfigValueParsing.hostAndPort("host:65536", defaultPort: nil) == nil)
        #expect(ConfigValueParsing.hostAndPort("bad host:1", defaultPort: nil) == nil)
        #expect(ConfigValueParsing.hostAndPort("[::1", defaultPort: nil) == nil)
    }

    @Test func serviceAddresses() throws {
        let schemes: [(scheme: String, useTLS: Bool, defaultPort: Int)] = [("https", true, 443), ("http", false, 80)]
        #expect(try ConfigValueParsing.serviceAddress("HTTPS://ws.example.com/", schemes: schemes).get()
            == ServiceAddress(url: "HTTPS://ws.example.com/", useTLS: true, host: "ws.example.com", port: 443))
        #expect(try ConfigValueParsing.serviceAddress("http://[::1]:8080", schemes: schemes).get()
            == ServiceAddress(url: "http://[::1]:8080", useTLS: false, host: "::1", port: 8080))
        #expect(throws: ConfigValueParsing.URLProblem.missingScheme) { try ConfigValueParsing.serviceAddress("ws.example.com", schemes: schemes).get() }
        #expect(throws: ConfigValueParsing.URLProblem.hasPath) { try ConfigValueParsing.serviceAddress("https://a/b", schemes: schemes).get() }
        #expect(throws: ConfigValueParsing.URLProblem.hasPath) { try ConfigValueParsing.serviceAddress("https://a?x=1", schemes: schemes).get() }
        #expect(throws: ConfigValueParsing.URLProblem.badHost) { try ConfigValueParsing.serviceAddress("https://", schemes: schemes).get() }
    }

    @Test func tableNames() {
        #expect(TableName(parsing: "main.iot.readings")?.description == "main.iot.readings")
        #expect(TableName(parsing: "Main_1.iot2.T") != nil)
        for bad in ["main.iot", "a.b.c.d", "a..c", ".b.c", "a.b.", "a.b-c.d", "a.b.c ", "ä.b.c", ""] {
            #expect(TableName(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func suggestions() {
        let keys = ["url", "client_id", "clean_session", "qos", "keepalive_s", "username", "password", "ca_file"]
        #expect(closestKey(to: "clientid", among: keys) == "client_id")
        #expect(closestKey(to: "Client_ID", among: keys) == "client_id")
        #expect(closestKey(to: "pasword", among: keys) == "password")
        #expect(closestKey(to: "usernmae", among: keys) == "username")
        #expect(closestKey(to: "qso", among: keys) == "qos")
        #expect(closestKey(to: "uri", among: keys) == "url")
        #expect(closestKey(to: "keepalive", among: keys) == "keepalive_s")
        #expect(closestKey(to: "port", among: keys) == nil)
        #expect(closestKey(to: "x", among: keys) == nil)
        #expect(editDistance(Array("kitten".unicodeScalars), Array("sitting".unicodeScalars)) == 3)
        #expect(editDistance(Array("ab".unicodeScalars), Array("ba".unicodeScalars)) == 1)
        #expect(editDistance([], Array("abc".unicodeScalars)) == 3)
    }
}

@Suite struct InterpolationTests {
    private func interpolate(_ text: String, _ environment: [String: String]) -> (String?, [String]) {
        let diagnostics = ConfigDiagnostics(file: "agent.toml", environment: environment)
        let result = diagnostics.interpolate(text, keyPath: "k", at: TOMLPosition(line: 3, column: 5))
        return (result, diagnostics.errors.map(\.description))
    }

    @Test func substitutes() {
        let environment = ["A": "alpha", "EMPTY": "", "B_2": "beta"]
        #expect(interpolate("plain", environment) == ("plain", []))
        #expect(interpolate("${A}", environment) == ("alpha", []))
        #expect(interpolate("x-${A}-${B_2}-y", environment) == ("x-alpha-beta-y", []))
        #expect(interpolate("${EMPTY}", environment) == ("", []))
        #expect(interpolate("${MISSING:-fallback}", environment) == ("fallback", []))
        #expect(interpolate("${EMPTY:-fallback}", environment) == ("fallback", []))
        #expect(interpolate("${A:-fallback}", environment) == ("alpha", []))
        #expect(interpolate("${MISSING:-}", environment) == ("", []))
        #expect(interpolate("$${A}", environment) == ("${A}", []))
        #expect(interpolate("cost: $5 $", environment) == ("cost: $5 $", []))
        #expect(interpolate("€${A}€", environment) == ("€alpha€", []))
    }

    @Test func reportsProblems() {
        #expect(interpolate("${MISSING}", [:]) == (nil, ["agent.toml:3: k: environment variable 'MISSING' is not set"]))
        #expect(interpolate("${A}${B}", [:]) == (nil, [
            "agent.toml:3: k: environment variable 'A' is not set",
            "agent.toml:3: k: environment variable 'B' is not set",
        ]))
        #expect(interpolate("${1A}", [:]) == (nil, ["agent.toml:3: k: '${1A}' is not a valid environment variable reference"]))
        #expect(interpolate("${}", [:]) == (nil, ["agent.toml:3: k: '${}' is not a valid environment variable reference"]))
        #expect(interpolate("${A", [:]) == (nil, ["agent.toml:3: k: unterminated '${' (write '$${' for a literal '${')"]))
    }
}
