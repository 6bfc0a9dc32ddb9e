import AgentCore
import EdgeSupport
import GRPCTransport
import Glibc

extension AgentRuntime {
    /// Checks that the TLS files the configuration names can be read by this process (for
    /// `check-config`, which the unit runs as the service user before every start): a missing
    /// CA or key would otherwise only show up as a failing connection, later and less clearly.
    public static func validateReferencedFiles(_ configuration: AgentConfiguration) throws(AgentError) {
        let files: [(key: String, path: String?)] = [
            ("mqtt.ca_file", configuration.mqtt.caFile),
            ("mqtt.cert_file", configuration.mqtt.certFile),
            ("mqtt.key_file", configuration.mqtt.keyFile),
            ("zerobus.ca_file", configuration.zerobus.caFile),
        ]
        var problems: [String] = []
        for file in files {
            guard let path = file.path else { continue }
            if let problem = readProblem(path) { problems.append("\(file.key): \(path): \(problem)") }
        }
        if !problems.isEmpty { throw AgentError(problems.joined(separator: "\n")) }
    }

    /// mbedTLS's verdict on a PEM certificate file (nil = it loads), for
    /// `AgentConfiguration.load(checkFiles:parseCertificates:)`: catches what the structural
    /// check in AgentCore cannot, such as well-formed PEM that is no certificate.
    public static func certificateFileProblem(_ path: String) -> String? {
        TrustAnchorFile.problem(atPath: path)
    }

    /// Why `path` cannot be read as a regular file, or nil when it can.
    static func readProblem(_ path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return ErrnoText.describe() }
        guard (status.st_mode & S_IFMT) == S_IFREG else { return "not a regular file" }
        guard access(path, R_OK) == 0 else { return "not readable by uid \(getuid()): \(ErrnoText.describe())" }
        return nil
    }
}
