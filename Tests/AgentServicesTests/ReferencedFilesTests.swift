import AgentCore
import AgentServices
import Glibc
import Testing

/// `check-config` names every TLS file that cannot be read, with its key.
@Suite struct ReferencedFilesTests {
    private func configuration(caFile: String, certFile: String, keyFile: String, directory: String) throws -> AgentConfiguration {
        let text = """
            [mqtt]
            url = "mqtts://broker.local:8883"
            ca_file = "\(caFile)"
            cert_file = "\(certFile)"
            key_file = "\(keyFile)"
            [zerobus]
            endpoint = "https://1.zerobus.region.cloud.databricks.com"
            token = "t"
            [[table]]
            name = "main.iot.readings"
            topics = ["sensors/#"]
            columns = [{ name = "value", type = "double", from = "$.value" }]
            """
        let path = directory + "/agent.toml"
        try write(text, to: path)
        return try AgentConfiguration.load(path: path, environment: [:], hostName: "gw")
    }

    private func write(_ text: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        #expect(Glibc.write(descriptor, bytes, bytes.count) == bytes.count)
    }

    @Test func readableFilesPass() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        for name in ["ca.pem", "cert.pem", "key.pem"] { try write("x", to: "\(directory.path)/\(name)") }
        let config = try configuration(
            caFile: "\(directory.path)/ca.pem", certFile: "\(directory.path)/cert.pem", keyFile: "\(directory.path)/key.pem",
            directory: directory.path)
        try AgentRuntime.validateReferencedFiles(config)
    }

    @Test func missingFilesAndDirectoriesAreNamedWithTheirKeys() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try write("x", to: "\(directory.path)/key.pem")
        let config = try configuration(
            caFile: "\(directory.path)/missing.pem", certFile: directory.path, keyFile: "\(directory.path)/key.pem",
            directory: directory.path)
        let error = #expect(throws: AgentError.self) { try AgentRuntime.validateReferencedFiles(config) }
        let lines = (error?.message ?? "").split(separator: "\n").map(String.init)
        #expect(lines == [
            "mqtt.ca_file: \(directory.path)/missing.pem: No such file or directory",
            "mqtt.cert_file: \(directory.path): not a regular file",
        ])
    }
}
