import Foundation

/// The CONNECT proxy of Tests/Fixtures/connect_proxy.py as a child process.
final class ConnectProxy: Sendable {
    let process: ChildProcess
    let url: String
    private let countFile: URL

    init() throws {
        let directory = try TestEnvironment.temporaryDirectory("proxy")
        countFile = directory.appendingPathComponent("tunnels")
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("Tests/Fixtures/connect_proxy.py").path
        process = try ChildProcess(
            executable: TestEnvironment.python, arguments: [script, "--count-file", countFile.path],
            logURL: directory.appendingPathComponent("proxy.log"), readyPrefix: "READY")
        url = "http://127.0.0.1:\(process.fields["port"] ?? "0")"
    }

    /// Tunnels the proxy has opened so far.
    func tunnelCount() throws -> Int {
        Int((try String(contentsOf: countFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    func stop() { process.stop() }
}
