import Foundation

/// A TCP forwarder in a separate Python process between a client and the broker. Killing it
/// (SIGKILL) drops both connections without an MQTT DISCONNECT, as a crashed gateway or a cut
/// cable would: the broker must then publish the client's will.
final class TCPProxy {
    private static let script = """
        import socket, sys, threading
        target = int(sys.argv[1])
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        print(server.getsockname()[1], flush=True)
        def pump(source, destination):
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    destination.sendall(data)
            except OSError:
                pass
        while True:
            client, _ = server.accept()
            upstream = socket.create_connection(("127.0.0.1", target))
            threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        """

    let port: Int
    private let process = Process()

    init(to targetPort: Int) throws {
        process.executableURL = URL(fileURLWithPath: pythonPath())
        process.arguments = ["-c", Self.script, String(targetPort)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // The script prints its port once it listens: a real readiness signal.
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw TestFailure("the TCP proxy did not report its port")
        }
        self.port = port
    }

    /// SIGKILL: the kernel closes the sockets; no goodbye reaches the broker.
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { kill() }
}

/// ZEROBUS_PYTHON, else the repository's .venv (see COMMON rules), else python3 on PATH.
func pythonPath() -> String {
    if let path = ProcessInfo.processInfo.environment["ZEROBUS_PYTHON"], !path.isEmpty { return path }
    let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let venv = root.appendingPathComponent(".venv/bin/python").path
    return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/python3"
}
