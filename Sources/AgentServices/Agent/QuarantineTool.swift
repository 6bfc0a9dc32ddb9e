import AgentCore
import Glibc
import ReadingRing

/// `zerobus-edge quarantine list|retry|purge`, on the ring file (safe while the daemon runs:
/// SQLite WAL lets both processes in).
public struct QuarantineTool {
    let configuration: AgentConfiguration
    let ring: ReadingRing

    /// `ownsDataDirectory`: the caller holds the data-directory lock (no daemon runs).
    public init(configuration: AgentConfiguration, ownsDataDirectory: Bool = false) throws(AgentError) {
        let configuration = try DataDirectory.resolve(configuration, create: false)
        self.configuration = configuration
        ring = try AgentRuntime.openRing(
            configuration, logger: .init(label: "zerobus-edge.quarantine"), ownsDataDirectory: ownsDataDirectory)
    }

    /// On the daemon's own ring, for requests handed over by the CLI.
    init(configuration: AgentConfiguration, ring: ReadingRing) {
        self.configuration = configuration
        self.ring = ring
    }

    /// The commands that write the ring.
    public enum Command: String, Sendable {
        case retry, purge
    }

    /// Runs `command` where it is safe: here when no daemon holds the data directory, else in
    /// the daemon (see `ReadingRing+Requests`), waiting up to `timeout` for its answer.
    /// Returns the line to print.
    public static func perform(
        _ command: Command, configuration: AgentConfiguration, timeout: Duration = .seconds(15)
    ) throws -> String {
        try perform(request: command.rawValue, configuration: configuration, timeout: timeout)
    }

    /// `zerobus-edge buffer purge --table NAME`: deletes the buffered rows of a table that is
    /// not configured (counted as dropped), where it is safe, as `perform` does.
    public static func purgeBuffered(
        table: String, configuration: AgentConfiguration, timeout: Duration = .seconds(15)
    ) throws -> String {
        try perform(request: purgeTablePrefix + table, configuration: configuration, timeout: timeout)
    }

    static let purgeTablePrefix = "buffer-purge "

    private static func perform(
        request: String, configuration: AgentConfiguration, timeout: Duration
    ) throws -> String {
        let configuration = try DataDirectory.resolve(configuration, create: true)
        let directory = configuration.agent.dataDirectory
        if let lock = try DataDirectoryLock.acquire(dataDirectory: directory) {
            return try withExtendedLifetime(lock) {
                try QuarantineTool(configuration: configuration, ownsDataDirectory: true).execute(request: request)
            }
        }
        let ring = try QuarantineTool(configuration: configuration).ring
        defer { try? ring.close() }
        let id = try ring.submitRequest(request)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            switch try ring.requestState(id) {
            case .done(let result):
                try ring.withdrawRequest(id)
                if result.hasPrefix(Self.errorPrefix) { throw AgentError(String(result.dropFirst(Self.errorPrefix.count))) }
                return result
            case .gone:
                throw AgentError("the request was removed before the running agent answered it")
            case .pending, .taken:
                usleep(50_000)
            }
        }
        if try ring.withdrawRequest(id) {
            throw AgentError("the running agent did not take the request within \(timeout); nothing was changed")
        }
        throw AgentError("the running agent took the request but did not answer within \(timeout); see its log")
    }

    static let errorPrefix = "error: "

    /// The result line of `command`, or `errorPrefix` + the error (what the CLI prints).
    func execute(_ command: Command) throws -> String {
        switch command {
        case .retry:
            let result = try retry()
            return "requeued \(result.requeued), still failing \(result.stillFailing)"
        case .purge:
            return "purged \(try purge())"
        }
    }

    func execute(request: String) throws -> String {
        if let command = Command(rawValue: request) { return try execute(command) }
        guard request.hasPrefix(Self.purgeTablePrefix) else { throw AgentError("unknown request \(request)") }
        let table = String(request.dropFirst(Self.purgeTablePrefix.count))
        let configured = configuration.tables.map(\.name.description) + (configuration.health.table.map { [$0.description] } ?? [])
        guard !configured.contains(table) else {
            throw AgentError("\(table) is configured: remove it from the configuration (and reload) before purging its rows")
        }
        return "purged \(try ring.purge(table: table)) buffered rows of \(table)"
    }

    func executeForRequest(_ command: String) -> String {
        do {
            return try execute(request: command)
        } catch {
            return Self.errorPrefix + "\(error)"
        }
    }

    /// One JSON object per entry, newest last.
    public func listJSON(limit: Int) throws -> String {
        let entries = try ring.quarantineList(limit: limit)
        let objects = entries.map { entry in
            "{\"id\":\(entry.id),\"table\":\(JSONValue.quoted(entry.table)),\"topic\":\(entry.topic.map(JSONValue.quoted) ?? "null")"
                + ",\"kind\":\(JSONValue.quoted(entry.kind == .rejected ? "rejected" : "unmappable"))"
                + ",\"reason\":\(JSONValue.quoted(entry.reason)),\"received_at\":\(entry.receivedAt)"
                + ",\"record_id\":\(entry.recordID.map(JSONValue.quoted) ?? "null"),\"payload_bytes\":\(entry.payload.count)}"
        }
        return "[" + objects.joined(separator: ",") + "]"
    }

    public func listText(limit: Int) throws -> String {
        let entries = try ring.quarantineList(limit: limit)
        guard !entries.isEmpty else { return "quarantine is empty" }
        return entries.map { entry in
            let kind = entry.kind == .rejected ? "rejected" : "unmappable"
            return "#\(entry.id) \(entry.table) \(kind) topic=\(entry.topic ?? "-") bytes=\(entry.payload.count): \(entry.reason)"
        }.joined(separator: "\n")
    }

    /// Puts entries back: rejected rows as they were; unmappable payloads mapped again with the
    /// current configuration (those that still fail return to the quarantine with the new reason).
    public func retry() throws -> (requeued: Int, stillFailing: Int) {
        let tables = try configuration.tables.map { table throws(AgentError) in try CompiledTable(table) }
        var requeued = 0
        var failing = 0
        var sparkplugAliases: SparkplugAliasBook?
        for entry in try ring.quarantineTake(ids: nil) {
            if entry.kind == .rejected, let descriptorID = entry.descriptorID {
                _ = try ring.append([NewRow(
                    table: entry.table, descriptorID: descriptorID, recordID: entry.recordID ?? "",
                    receivedAt: entry.receivedAt, payload: entry.payload)])
                requeued += 1
                continue
            }
            guard let table = tables.first(where: { $0.name == entry.table }) else {
                _ = try ring.quarantineUnmappable(
                    table: entry.table, topic: entry.topic ?? "", payload: entry.payload,
                    reason: "table no longer configured", receivedAt: entry.receivedAt)
                failing += 1
                continue
            }
            let context = MessageContext(
                receivedAtMicros: entry.receivedAt, gatewayID: configuration.agent.gatewayID,
                recordID: entry.recordID ?? "\(configuration.agent.gatewayID)-q\(entry.id)")
            do {
                let output = try mapAgain(entry, table: table, context: context, aliases: &sparkplugAliases)
                let rows = try table.encode(output, recordID: context.recordID)
                let descriptorID = try ring.descriptorID(table: table.name, descriptor: table.registeredBytes)
                _ = try ring.append(rows.map { row in
                    NewRow(
                        table: table.name, descriptorID: descriptorID, recordID: row.recordID,
                        receivedAt: entry.receivedAt, payload: row.payload)
                })
                requeued += 1
            } catch {
                _ = try ring.quarantineUnmappable(
                    table: entry.table, topic: entry.topic ?? "", payload: entry.payload, reason: "\(error)",
                    receivedAt: entry.receivedAt)
                failing += 1
            }
        }
        return (requeued, failing)
    }

    public func purge() throws -> Int {
        try ring.quarantinePurge()
    }
}

extension AgentRuntime {
    /// Compiles every table's descriptor (for `check-config`): catches what the TOML alone cannot.
    public static func validateTables(_ configuration: AgentConfiguration) throws(AgentError) {
        for table in configuration.tables { _ = try CompiledTable(table) }
    }
}
