import AgentCore
import Logging
import Mosquitto
import ReadingRing
import Synchronization

/// The state Sparkplug B tables need across messages: the metric definitions (alias → name and
/// datatype) declared by BIRTH messages, per edge node and device.
///
/// Lives on the MQTT thread with `Intake`. A message is decoded once for every `sparkplug_b`
/// table it feeds. A BIRTH's definitions are written to the ring (`sparkplug_aliases`) before
/// the handler returns, as the message's rows are journaled: once its PUBACK has gone out, an
/// agent restart does not lose the aliases the DATA messages after it rely on. Loaded from the
/// ring at start-up.
final class SparkplugIntake: Sendable {
    private let book: Mutex<SparkplugAliasBook>
    private let ring: ReadingRing
    private let logger: Logger

    init(ring: ReadingRing, logger: Logger) {
        self.ring = ring
        self.logger = logger
        var loaded = SparkplugAliasBook()
        do {
            let records = try ring.sparkplugAliases()
            loaded = Self.book(from: records)
            if !records.isEmpty {
                logger.info("Sparkplug B aliases loaded", metadata: ["definitions": "\(records.count)", "scopes": "\(loaded.scopeCount)"])
            }
        } catch {
            logger.error("cannot read the stored Sparkplug B aliases; DATA messages need a new BIRTH", metadata: ["error": "\(error)"])
        }
        book = Mutex(loaded)
    }

    /// The book the ring's stored definitions describe.
    static func book(from records: [SparkplugAliasRecord]) -> SparkplugAliasBook {
        SparkplugAliasBook(records.map { record in
            (SparkplugAliasBook.Scope(group: record.group, edgeNode: record.edgeNode, device: record.device),
             SparkplugAliasBook.Definition(name: record.name, alias: record.alias, datatype: record.datatype))
        })
    }

    /// Decodes `message` against the aliases known so far; a BIRTH then replaces its scope's
    /// definitions, in the ring first. A failure is the reason to quarantine the message with.
    func decode(_ message: borrowing MQTTDelivery, maxPayloadBytes: Int) -> Result<SparkplugMessage, MappingError> {
        guard message.payloadCount <= maxPayloadBytes else {
            return .failure(MappingError(
                kind: .payloadTooLarge, reason: "payload too large: \(message.payloadCount) bytes (max \(maxPayloadBytes))"))
        }
        let aliases = book.withLock { $0 }
        let topic = message.topic
        let decoded: SparkplugMessage
        do {
            decoded = try message.withPayload { (bytes) throws(MappingError) -> SparkplugMessage in
                try SparkplugRecords.decode(topic: topic, payload: bytes, aliases: aliases)
            }
        } catch {
            return .failure(error)
        }
        if let birth = decoded.birth { record(birth) }
        if case .state(let host) = decoded.topic {
            logger.debug("Sparkplug B STATE message is not edge data; no row", metadata: ["host": "\(host)"])
        }
        return .success(decoded)
    }

    private func record(_ birth: (scope: SparkplugAliasBook.Scope, definitions: [SparkplugAliasBook.Definition])) {
        let scope = birth.scope
        do {
            try ring.replaceSparkplugAliases(
                group: scope.group, edgeNode: scope.edgeNode, device: scope.device,
                with: birth.definitions.map { definition in
                    SparkplugAliasRecord(
                        group: scope.group, edgeNode: scope.edgeNode, device: scope.device, name: definition.name,
                        alias: definition.alias, datatype: definition.datatype)
                })
        } catch {
            // The rows still go on; only a restart before the next BIRTH would miss these aliases.
            logger.error("cannot store Sparkplug B aliases", metadata: ["error": "\(error)", "edge_node": "\(scope.edgeNode)"])
        }
        book.withLock { $0.replace(scope, with: birth.definitions) }
    }
}

extension Intake {
    /// The message decoded once for all its `sparkplug_b` routes, or nil when it has none.
    func decodeSparkplug(_ message: borrowing MQTTDelivery, routes: [Route]) -> Result<SparkplugMessage, MappingError>? {
        guard let route = routes.first(where: { $0.table.mapper.format == .sparkplugB && $0.table.matches(topic: message.topic) })
        else { return nil }
        return sparkplug.decode(message, maxPayloadBytes: route.table.mapper.maxPayloadBytes)
    }

    /// One `sparkplug_b` table's rows of a decoded message (its `sparkplug_death` and
    /// `sparkplug_commands` choose which messages make rows).
    static func sparkplugOutput(
        _ decoded: Result<SparkplugMessage, MappingError>, mapper: RowMapper, message: borrowing MQTTDelivery,
        context: MessageContext
    ) throws(MappingError) -> RowMapper.Output {
        let documents = try decoded.get().documents(for: mapper.options.sparkplug)
        let topic = message.topic
        return try message.withPayload { (bytes) throws(MappingError) -> RowMapper.Output in
            try mapper.mapRows(topic: topic, payload: bytes, documents: documents, context: context)
        }
    }
}
