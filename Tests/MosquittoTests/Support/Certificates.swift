import Foundation

/// A throwaway CA with a server certificate for 127.0.0.1/localhost and a client certificate,
/// made with the openssl command line tool (EC P-256 keys: quick to generate). Owns its
/// directory and removes it when released.
final class Certificates {
    let directory: URL
    var caFile: String { path("ca.crt") }
    var serverCertFile: String { path("server.crt") }
    var serverKeyFile: String { path("server.key") }
    var clientCertFile: String { path("client.crt") }
    var clientKeyFile: String { path("client.key") }

    init(in directory: URL, caName: String = "zerobus-edge test CA") throws {
        self.directory = directory
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req", "-x509"] + key + ["-keyout", path("ca.key"), "-out", caFile, "-days", "2",
                                              "-subj", "/CN=\(caName)"])
        try issue("server", subject: "/CN=localhost", extensions: "subjectAltName=DNS:localhost,IP:127.0.0.1")
        try issue("client", subject: "/CN=edge-client", extensions: "extendedKeyUsage=clientAuth")
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    private func issue(_ name: String, subject: String, extensions: String) throws {
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try openssl(["req"] + key + ["-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject])
        try extensions.write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", path("\(name).csr"), "-CA", caFile, "-CAkey", path("ca.key"),
                     "-CAcreateserial", "-out", path("\(name).crt"), "-days", "2", "-extfile", path("\(name).ext")])
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func openssl(_ arguments: [String]) throws {
        try runTool("/usr/bin/openssl", arguments)
    }
}
