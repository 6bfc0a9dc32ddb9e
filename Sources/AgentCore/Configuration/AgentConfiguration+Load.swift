#if canImport(Glibc)
import TOML
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgeSupport

extension AgentConfiguration {
    /// Reads, parses and validates the configuration file (plain libc I/O, no Foundation).
    ///
    /// - Parameters:
    ///   - environment: variables for `${VAR}` (typically the process environment, which systemd
    ///     fills from /etc/default/zerobus-edge); see `processEnvironment()`.
    ///   - hostName: the default gateway id; nil = this machine's host name.
    ///   - requireTables: false to accept a file without `[[table]]` (see `init(toml:…)`).
    ///   - readCredentials: false for commands that need no secrets (see `init(toml:…)`).
    ///   - checkFiles: also check what `run` needs from the file system at start-up (data
    ///     directory, TLS files, descriptors; see `ConfigFileChecks`), reported by key and line.
    ///     Done once the file itself is valid, as the checks need its values.
    ///   - parseCertificates: with `checkFiles`, a TLS library's parse of a certificate file (nil =
    ///     usable), run after AgentCore's own structural check; AgentCore links no TLS library.
    public static func load(
        path: String,
        environment: [String: String],
        hostName: String? = nil,
        requireTables: Bool = true,
        readCredentials: Bool = true,
        checkFiles: Bool = false,
        parseCertificates: ((String) -> String?)? = nil
    ) throws(ConfigErrors) -> AgentConfiguration {
        let bytes: [UInt8]
        do {
            bytes = try readFile(path)
        } catch {
            throw ConfigErrors([ConfigError(file: path, line: nil, keyPath: "", message: error.message)])
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigErrors([ConfigError(file: path, line: nil, keyPath: "", message: "the file is not valid UTF-8")])
        }
        let root: TOMLTable
        do {
            root = try TOML.parse(text)
        } catch {
            throw ConfigErrors([ConfigError(
                file: path, line: error.position.line, column: error.position.column, keyPath: "", message: error.message
            )])
        }
        let configuration = try AgentConfiguration(
            toml: root, environment: environment, hostName: hostName ?? currentHostName(), file: path,
            requireTables: requireTables, readCredentials: readCredentials
        )
        if checkFiles {
            let diagnostics = ConfigDiagnostics(file: path, environment: environment)
            ConfigFileChecks(
                configuration: configuration, root: root, diagnostics: diagnostics, parseCertificates: parseCertificates
            ).run()
            if !diagnostics.errors.isEmpty { throw ConfigErrors(diagnostics.sortedErrors) }
        }
        return configuration
    }

    /// This machine's host name (`gethostname`), "localhost" if it cannot be read.
    public static func currentHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return name.isEmpty ? "localhost" : name
    }

    /// The process environment as a dictionary (first definition wins).
    public static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "="), result[String(text[..<equals])] == nil {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return result
    }

    struct FileReadError: Error {
        var message: String
    }

    /// The whole file; refuses files over `limit` (an agent.toml is a few KiB) and anything but a
    /// regular file. O_NONBLOCK because opening a FIFO for reading otherwise waits for a writer:
    /// `check-config` (and the unit's ExecStartPre) would hang instead of saying what is wrong.
    static func readFile(_ path: String, limit: Int = 4 << 20) throws(FileReadError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw FileReadError(message: "cannot open: \(ErrnoText.describe(errno))") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw FileReadError(message: "cannot stat: \(ErrnoText.describe(errno))") }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw FileReadError(message: "not a regular file (\(fileTypeName(status.st_mode)))")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileReadError(message: "cannot read: \(ErrnoText.describe(errno))")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit { throw FileReadError(message: "file is larger than \(limit >> 20) MiB") }
        }
    }

    /// "a directory", "a FIFO", … for messages about a path that should be a regular file.
    static func fileTypeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFREG: "a regular file"
        default: "not a regular file"
        }
    }
}
