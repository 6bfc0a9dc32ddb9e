#if canImport(Glibc)
import TOML
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DynamicProtobuf
import EdgeSupport

/// What `run` needs from the file system at start-up and the TOML text alone cannot show: the
/// data directory, the TLS trust files and the tables' descriptors. `check-config` (the unit's
/// ExecStartPre) runs these checks so that a start-up failure is reported first, by key and line,
/// instead of as a daemon exiting 1 or, worse, running without the thing it could not use.
struct ConfigFileChecks {
    let configuration: AgentConfiguration
    let root: TOMLTable
    let diagnostics: ConfigDiagnostics
    /// A TLS library's parse of a certificate file (see `AgentConfiguration.load`).
    var parseCertificates: ((String) -> String?)?

    func run() {
        checkDataDirectory()
        let mqtt = configuration.mqtt
        checkCertificates(mqtt.caFile, at: ["mqtt", "ca_file"])
        checkCertificates(mqtt.certFile, at: ["mqtt", "cert_file"])
        checkReadable(mqtt.keyFile, at: ["mqtt", "key_file"])
        checkCertificates(configuration.zerobus.caFile, at: ["zerobus", "ca_file"])
        for (index, table) in configuration.tables.enumerated() { checkSchema(table, index: index) }
    }

    // MARK: Data directory

    /// `run` creates missing directories of the path, then locks and opens the ring in the last.
    /// A symlink to a directory is fine (stat follows it).
    private func checkDataDirectory() {
        let path = configuration.agent.dataDirectory
        let key = ["agent", "data_dir"]
        var status = stat()
        if stat(path, &status) == 0 {
            guard (status.st_mode & S_IFMT) == S_IFDIR else {
                return report(key, "\(path) is \(AgentConfiguration.fileTypeName(status.st_mode)), not a directory")
            }
            if access(path, W_OK | X_OK) != 0 {
                report(key, "\(path): not writable by uid \(getuid()): \(ErrnoText.describe(errno))")
            }
            checkRingFiles(in: path)
            return
        }
        // ENOTDIR: some ancestor is not a directory; the walk below names it.
        guard errno == ENOENT || errno == ENOTDIR else { return report(key, "\(path): \(ErrnoText.describe(errno))") }
        // Missing: the nearest existing ancestor must be a directory this process may create in.
        var ancestor = path
        while true {
            guard let slash = ancestor.lastIndex(of: "/") else { ancestor = "."; break }
            ancestor = slash == ancestor.startIndex ? "/" : String(ancestor[..<slash])
            if ancestor == "/" || stat(ancestor, &status) == 0 { break }
            if errno != ENOENT && errno != ENOTDIR { return report(key, "\(ancestor): \(ErrnoText.describe(errno))") }
        }
        _ = stat(ancestor, &status)
        guard (status.st_mode & S_IFMT) == S_IFDIR else {
            return report(key, "cannot create \(path): \(ancestor) is \(AgentConfiguration.fileTypeName(status.st_mode))")
        }
        if access(ancestor, W_OK | X_OK) != 0 {
            report(key, "cannot create \(path): \(ancestor) is not writable by uid \(getuid())")
        }
    }

    /// The ring's files, where they exist, must be regular files: SQLite opening a FIFO named
    /// buffer.db blocked `run` for good (SIGTERM included), a directory failed it.
    private func checkRingFiles(in directory: String) {
        for name in ["buffer.db", "buffer.db-wal", "buffer.db-shm", "agent.lock"] {
            let file = directory + "/" + name
            var status = stat()
            guard stat(file, &status) == 0, (status.st_mode & S_IFMT) != S_IFREG else { continue }
            report(["agent", "data_dir"], "\(file) is \(AgentConfiguration.fileTypeName(status.st_mode)); the ring needs a regular file there")
        }
    }

    // MARK: TLS files

    private func checkReadable(_ path: String?, at key: [String]) {
        guard let path else { return }
        _ = readRegularFile(path, at: key)
    }

    /// A CA bundle or client certificate must hold PEM certificates: libmosquitto and mbedTLS
    /// would otherwise fail every connection later, with the error only in the log.
    private func checkCertificates(_ path: String?, at key: [String]) {
        guard let path, let bytes = readRegularFile(path, at: key) else { return }
        if let problem = PEMCertificates.problem(in: bytes) ?? parseCertificates?(path) {
            report(key, "\(path): \(problem)")
        }
    }

    private func readRegularFile(_ path: String, at key: [String]) -> [UInt8]? {
        do {
            return try AgentConfiguration.readFile(path)
        } catch {
            report(key, "\(path): \(error.message)")
            return nil
        }
    }

    // MARK: Schemas

    /// Builds each table's descriptor the way `run` does, so that a bad descriptor file (or a
    /// schema protobuf cannot express) names the key that brought it in.
    private func checkSchema(_ table: TableConfiguration, index: Int) {
        switch table.schema {
        case .columns(let mappings):
            do {
                _ = try MessageDescriptor(schema: TableSchema(tableName: table.name.description, columns: mappings.map(\.column)))
            } catch {
                report(["table", "columns"], element: index, "\(error)")
            }
        case .descriptor(let path, let message):
            guard let bytes = readRegularFile(path, at: ["table", "descriptor"], element: index) else { return }
            do {
                _ = try MessageDescriptor.load(descriptorSet: bytes, messageName: message)
            } catch {
                report(["table", "descriptor"], element: index, "\(path): \(error)")
            }
        }
    }

    private func readRegularFile(_ path: String, at key: [String], element: Int) -> [UInt8]? {
        do {
            return try AgentConfiguration.readFile(path, limit: 64 << 20)
        } catch {
            report(key, element: element, "\(path): \(error.message)")
            return nil
        }
    }

    // MARK: Reporting

    /// Reports at the key's line (or its section's when the key took its default); `element`
    /// picks one `[[table]]`.
    private func report(_ key: [String], element: Int? = nil, _ message: String) {
        var position: TOMLPosition?
        var table: TOMLTable? = root
        var keyPath: [String] = []
        for part in key {
            guard let node = table?[part] else { break }
            var current = node
            if keyPath.isEmpty, let element, case .array(let elements) = node.value, elements.indices.contains(element) {
                current = elements[element]
            }
            position = current.position
            table = current.value.tableValue
            keyPath.append(part)
        }
        let named = key.enumerated().map { index, part in index == 0 && element != nil ? "\(part)[\(element!)]" : part }
        diagnostics.report(named.joined(separator: "."), at: position, message)
    }
}
