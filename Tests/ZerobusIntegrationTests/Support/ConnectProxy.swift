import Foundation
import GRPCTransport

/// The CONNECT proxy of Tests/Fixtures/connect_proxy.py as a child process.
final class ConnectProxy: Sendable {
    let process: ChildProcess
    let url: String

    init() throws {
        let directory = try TestEnvironment.temporaryDirectory("proxy")
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Fixtures/connect_proxy.py").path
        process = try ChildProcess(
            executable: TestEnvironment.python, arguments: [script],
            logURL: directory.appendingPathComponent("proxy.log"), readyPrefix: "READY")
        url = "http://127.0.0.1:\(process.fields["port"] ?? "0")"
    }

    /// Tunnels the proxy has opened so far (it answers `GET /count` itself).
    func tunnelCount() async throws -> Int {
        var options = ConnectionOptions()
        options.proxy = .none
        let response = try await HTTP1Client.request(
            method: "GET", url: url + "/count", headers: [], body: [], options: options, timeout: .seconds(5))
        return Int(String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    func stop() { process.stop() }
}
