import Foundation
import GRPCTransport

/// The local Zerobus emulator (Tests/Emulator) as a child process, with its control API.
final class Emulator: Sendable {
    let process: ChildProcess
    let directory: URL
    /// h2c gRPC endpoint, e.g. http://127.0.0.1:PORT
    let grpcURL: String
    /// TLS gRPC endpoint, e.g. https://localhost:PORT
    let tlsURL: String
    /// OAuth / Unity Catalog / control API base URL.
    let httpURL: String
    let caFile: String
    let outFile: URL

    init(_ extraArguments: [String] = []) throws {
        directory = try TestEnvironment.temporaryDirectory("emulator")
        outFile = directory.appendingPathComponent("acked.jsonl")
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Emulator/zerobus_emulator.py").path
        process = try ChildProcess(
            executable: TestEnvironment.python,
            arguments: [script, "--port", "0", "--tls-port", "0", "--cert-dir", directory.appendingPathComponent("certs").path,
                        "--out", outFile.path, "--log-level", "WARNING"] + extraArguments,
            logURL: directory.appendingPathComponent("emulator.log"),
            readyPrefix: "ZEROBUS_EMULATOR ")
        let fields = process.fields
        grpcURL = fields["grpc"] ?? ""
        tlsURL = fields["tls"] ?? ""
        httpURL = fields["http"] ?? ""
        caFile = fields["ca"] ?? ""
    }

    func stop() { process.stop() }

    /// Transport options trusting the emulator's generated CA, with proxies off.
    var transport: ConnectionOptions {
        var options = ConnectionOptions()
        options.extraCAFile = caFile
        options.proxy = .none
        return options
    }

    func stats() async throws -> [String: Any] {
        try await requestJSON("GET", "/_emulator/stats") as? [String: Any] ?? [:]
    }

    func setFaults(_ faults: [String: Any]) async throws {
        _ = try await requestJSON("POST", "/_emulator/faults", body: faults)
    }

    func reset() async throws {
        _ = try await requestJSON("POST", "/_emulator/reset", body: [:])
    }

    /// Acked records of `table`, in the order the emulator acked them.
    func records(table: String) throws -> [[String: Any]] {
        guard let text = try? String(contentsOf: outFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["table"] as? String == table
            else { return nil }
            return object["record"] as? [String: Any]
        }
    }

    private func requestJSON(_ method: String, _ path: String, body: [String: Any]? = nil) async throws -> Any {
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        var options = ConnectionOptions()
        options.proxy = .none
        let response = try await HTTP1Client.request(
            method: method, url: httpURL + path, headers: [HeaderField("content-type", "application/json")],
            body: Array(payload), options: options, timeout: .seconds(10))
        guard (200..<300).contains(response.status) else {
            throw ChildProcessError(message: "\(method) \(path) → HTTP \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        return try JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])
    }
}
