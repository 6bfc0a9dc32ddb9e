import Glibc
import Testing
@testable import AgentCore

/// `load(checkFiles: true)` (check-config and run): what `run` needs from the file system is
/// reported by key and line before anything starts. Real files in a fresh directory.
@Suite struct ConfigFileChecksTests {
    /// Line 3: data_dir, 6: mqtt.ca_file, 9: zerobus.ca_file, 11: [[table]], 14: columns.
    private func config(dataDir: String, mqttCA: String = "", zerobusCA: String = "", schema: String? = nil) -> String {
        """
        [agent]
        gateway_id = "gw"
        data_dir = "\(dataDir)"
        [mqtt]
        url = "\(mqttCA.isEmpty ? "mqtt" : "mqtts")://127.0.0.1"
        ca_file = "\(mqttCA)"
        [zerobus]
        endpoint = "https://1.zerobus.example.com"
        ca_file = "\(zerobusCA)"
        token = "t"
        [[table]]
        name = "main.iot.readings"
        topics = ["sensors/#"]
        \(schema ?? #"columns = [{ name = "value", type = "double", from = "$.value" }]"#)
        """
    }

    private func errors(_ text: String, in directory: Scratch) -> [String] {
        let path = directory.write("agent.toml", text)
        do {
            _ = try AgentConfiguration.load(path: path, environment: [:], hostName: "gw", checkFiles: true)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func aValidSetupPasses() {
        let scratch = Scratch()
        defer { scratch.remove() }
        let ca = scratch.write("ca.pem", "# bundle\n" + Self.certificate + Self.certificate)
        #expect(errors(config(dataDir: scratch.path + "/data/ring", mqttCA: ca, zerobusCA: ca), in: scratch) == [])
    }

    /// `run` failed at start-up (mkdir/lock on a file) after check-config said OK.
    @Test func dataDirectoryThatIsAFileIsReported() {
        let scratch = Scratch()
        defer { scratch.remove() }
        let file = scratch.write("plain", "x")
        let path = scratch.path + "/agent.toml"
        #expect(errors(config(dataDir: file), in: scratch) == ["\(path):3: agent.data_dir: \(file) is a regular file, not a directory"])
        #expect(errors(config(dataDir: file + "/sub"), in: scratch)
            == ["\(path):3: agent.data_dir: cannot create \(file)/sub: \(file) is a regular file"])
    }

    /// A FIFO named buffer.db hung `run` in SQLite's open (SIGTERM included).
    @Test func ringFilesThatAreNotRegularFilesAreReported() {
        let scratch = Scratch()
        defer { scratch.remove() }
        mkfifo(scratch.path + "/buffer.db", 0o600)
        mkdir(scratch.path + "/agent.lock", 0o700)
        let path = scratch.path + "/agent.toml"
        #expect(errors(config(dataDir: scratch.path), in: scratch) == [
            "\(path):3: agent.data_dir: \(scratch.path)/buffer.db is a FIFO; the ring needs a regular file there",
            "\(path):3: agent.data_dir: \(scratch.path)/agent.lock is a directory; the ring needs a regular file there",
        ])
    }

    /// A data directory on another disk, linked into place, is a normal setup.
    @Test func dataDirectoryThatIsASymlinkToADirectoryPasses() {
        let scratch = Scratch()
        defer { scratch.remove() }
        mkdir(scratch.path + "/real", 0o700)
        symlink(scratch.path + "/real", scratch.path + "/link")
        #expect(errors(config(dataDir: scratch.path + "/link"), in: scratch) == [])
    }

    @Test func garbageCAFilesAreReportedWithTheirKeys() {
        let scratch = Scratch()
        defer { scratch.remove() }
        let garbage = scratch.write("garbage.pem", "<html>502 Bad Gateway</html>\n")
        let truncated = scratch.write("truncated.pem", String(Self.certificate.prefix(200)))
        let path = scratch.path + "/agent.toml"
        #expect(errors(config(dataDir: scratch.path, mqttCA: garbage, zerobusCA: truncated), in: scratch) == [
            "\(path):6: mqtt.ca_file: \(garbage): no PEM certificate ('-----BEGIN CERTIFICATE-----') in the file",
            "\(path):9: zerobus.ca_file: \(truncated): certificate 1 has no '-----END CERTIFICATE-----' line",
        ])
        let fifo = scratch.path + "/ca.fifo"
        mkfifo(fifo, 0o600)
        #expect(errors(config(dataDir: scratch.path, zerobusCA: fifo), in: scratch)
            == ["\(path):9: zerobus.ca_file: \(fifo): not a regular file (a FIFO)"])
    }

    /// Descriptor problems came without file:line ("table X: descriptor …"); now they name the key.
    @Test func descriptorProblemsNameTheKeyAndLine() {
        let scratch = Scratch()
        defer { scratch.remove() }
        let bad = scratch.write("bad.descriptor", "not a descriptor set")
        let path = scratch.path + "/agent.toml"
        let schema = { (file: String) in "descriptor = \"\(file)\"\nmessage = \"Reading\"" }
        let missing = scratch.path + "/missing.descriptor"
        #expect(errors(config(dataDir: scratch.path, schema: schema(missing)), in: scratch)
            == ["\(path):14: table[0].descriptor: \(missing): cannot open: No such file or directory"])
        let badErrors = errors(config(dataDir: scratch.path, schema: schema(bad)), in: scratch)
        #expect(badErrors.count == 1 && badErrors[0].hasPrefix("\(path):14: table[0].descriptor: \(bad): "), "\(badErrors)")

        let repository = String(#filePath[..<#filePath.range(of: "/Tests/")!.lowerBound])
        let real = repository + "/examples/schemas/machine_events.descriptor"
        #expect(errors(config(dataDir: scratch.path, schema: "descriptor = \"\(real)\"\nmessage = \"factory.MachineEvent\""), in: scratch) == [])
        let wrongMessage = errors(config(dataDir: scratch.path, schema: "descriptor = \"\(real)\"\nmessage = \"Nope\""), in: scratch)
        #expect(wrongMessage.count == 1 && wrongMessage[0].hasPrefix("\(path):14: table[0].descriptor: \(real): "), "\(wrongMessage)")
    }

    /// A FIFO as --config hung check-config and run (open() waited for a writer).
    @Test func aFIFOAsTheConfigFileIsRefusedWithoutHanging() {
        let scratch = Scratch()
        defer { scratch.remove() }
        let fifo = scratch.path + "/agent.toml"
        mkfifo(fifo, 0o600)
        #expect(throws: ConfigErrors([ConfigError(file: fifo, line: nil, keyPath: "", message: "not a regular file (a FIFO)")])) {
            _ = try AgentConfiguration.load(path: fifo, environment: [:], hostName: "gw")
        }
        #expect(throws: ConfigErrors([ConfigError(file: scratch.path, line: nil, keyPath: "", message: "not a regular file (a directory)")])) {
            _ = try AgentConfiguration.load(path: scratch.path, environment: [:], hostName: "gw")
        }
    }

    static let certificate = """
        -----BEGIN CERTIFICATE-----
        MIIBkjCCATmgAwIBAgIUe0GvYKb8j1ufSqeXopaiOmnCn/8wCgYIKoZIzj0EAwIw
        HzEdMBsGA1UEAwwUemVyb2J1cy1lZGdlIHRlc3QgQ0EwHhcNMjYxMjAzMDk0MzQ3
        WhcNMzYxMTMwMDk0MzQ3WjAfMR0wGwYDVQQDDBR6ZXJvYnVzLWVkZ2UgdGVzdCBD
        QTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABBaYWA1BZ0qRL4ICDSBm3+Idutqi
        4OrXWlA3pxI2f4cJ2TxfQVu977RGvUl+FNIehwT3AIHDMDn8SX+lMnPO/MejUzBR
        MB0GA1UdDgQWBBQxeEKZjCrqm75NhAwzikK0Po9gNzAfBgNVHSMEGDAWgBQxeEKZ
        jCrqm75NhAwzikK0Po9gNzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cA
        MEQCIC7V2gUbodufYbDynDgI3eMKsm1hIdTC4tXfINS3l1dqAiAt4ev1a0lTIDXN
        yo9kE/SwcOrPMqLZ/BNODGFxIIUV3Q==
        -----END CERTIFICATE-----

        """
}

/// A fresh directory under /tmp, removed with its contents.
struct Scratch {
    let path: String

    init() {
        var template = Array("/tmp/zbe-core-test-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil, "mkdtemp failed")
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Writes `text` to `name` in the directory; returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let file = path + "/" + name
        let descriptor = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(descriptor >= 0, "cannot create \(file)")
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        precondition(Glibc.write(descriptor, bytes, bytes.count) == bytes.count)
        return file
    }

    func remove() {
        var status = stat()
        func removeTree(_ path: String) {
            guard lstat(path, &status) == 0 else { return }
            guard (status.st_mode & S_IFMT) == S_IFDIR, let handle = opendir(path) else { unlink(path); return }
            var names: [String] = []
            while let entry = readdir(handle) {
                let name = withUnsafePointer(to: &entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(handle)
            for name in names { removeTree(path + "/" + name) }
            rmdir(path)
        }
        removeTree(path)
    }
}
