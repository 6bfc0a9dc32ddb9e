import AgentCore
import DynamicProtobuf
import EdgeSupport
import Logging
import Mosquitto
import ReadingRing
import Synchronization

/// MQTT message → routes → rows → the ring, on libmosquitto's network thread.
///
/// Every message is durable in the ring's intake journal *before* `handle` returns (one write()
/// per message; `JournalDrainer` moves it into SQLite in batches, on the ring's thread), and libmosquitto 2.0 only
/// writes the QoS 1 PUBACK after the handler returned (see `MQTTClient`), so the broker never
/// drops a message the ring does not hold. One message may feed several tables; all its rows go
/// in one journal record. Payloads that cannot be mapped go to the quarantine with the reason.
final class Intake: Sendable {
    struct Route: Sendable {
        let table: CompiledTable
        let descriptorID: Int64
    }

    struct Counters: Sendable {
        var messages = 0
        var unrouted = 0
        var quarantined = 0
        /// Messages the broker delivered again after a crash, already in the ring: not stored twice.
        var redelivered = 0
    }

    /// Replaced as a whole by a reload; each message is routed with one consistent set.
    private let routes: Mutex<[Route]>
    private let ring: ReadingRing
    private let gatewayID: String
    private let recordIDs: RecordIDGenerator
    private let logger: Logger
    private let state = Mutex(State())
    /// Called (on the MQTT thread) when the ring is full in `pause` mode.
    private let onFull: @Sendable () -> Void
    /// Called (on the MQTT thread) after each journal write: asks for a drain into SQLite.
    private let onJournaled: @Sendable () -> Void
    /// Aliases of `sparkplug_b` tables (loaded from the ring here, at start-up).
    let sparkplug: SparkplugIntake
    /// Stamps `received_at` and remembers stamps made while the wall clock was untrusted.
    let clock: ClockMonitor

    private struct State {
        var counters = Counters()
        /// Rows of messages taken while the ring was full (pause mode): written first when room returns.
        var held: [NewRow] = []
        /// One warning per quarantined payload would let a junk flood flood the log too.
        var quarantineLog = LogRateLimit()
        /// Identifies the current MQTT connection for `Delivery` marks (connect time, µs).
        var connectionEpoch: Int64 = 0
    }

    /// Called on every CONNACK.
    func connected() {
        state.withLock { $0.connectionEpoch = ReadingRing.now() }
    }

    init(
        routes: [Route], ring: ReadingRing, gatewayID: String, recordIDs: RecordIDGenerator, clock: ClockMonitor,
        logger: Logger, onFull: @escaping @Sendable () -> Void, onJournaled: @escaping @Sendable () -> Void = {}
    ) {
        self.clock = clock
        self.routes = Mutex(routes)
        self.ring = ring
        self.gatewayID = gatewayID
        self.recordIDs = recordIDs
        self.logger = logger
        self.onFull = onFull
        self.onJournaled = onJournaled
        sparkplug = SparkplugIntake(ring: ring, logger: logger)
    }

    /// The most rows one journal record (one message) can hold.
    static let maxRowsPerMessage = Int(UInt16.max)

    var counters: Counters { state.withLock { $0.counters } }

    var currentRoutes: [Route] { routes.withLock { $0 } }

    /// From the next message on (a reload): rows already journaled keep the descriptor they had.
    func replaceRoutes(_ newRoutes: [Route]) {
        routes.withLock { $0 = newRoutes }
    }
    var isHolding: Bool { state.withLock { !$0.held.isEmpty } }

    /// `message` lends libmosquitto's buffer: it is parsed in place and copied only into the
    /// quarantine (once, however many tables refuse it); rows copy only what they keep.
    func handle(_ message: borrowing MQTTDelivery) {
        // Its parse, row and quarantine write leave blocks behind that glibc keeps otherwise.
        let big = message.payloadCount >= HeapRelease.bigMessageBytes
        defer { if big { HeapRelease.trim() } }
        let delivery = deliveryMark(message)
        if let delivery, (try? ring.isRedelivery(delivery)) == true {
            state.withLock { $0.counters.redelivered += 1 }
            logger.info("message redelivered by the broker is already buffered; not stored twice",
                        metadata: ["topic": "\(message.topic)", "mid": "\(message.mid)"])
            return
        }
        let stamp = clock.stamp()
        let receivedAt = stamp.wall
        let recordID = recordIDs.next()
        let context = MessageContext(
            receivedAtMicros: receivedAt, gatewayID: gatewayID, recordID: recordID,
            properties: MessageProperties(message.properties), clockSynced: stamp.trusted)
        var rows: [NewRow] = []
        var refusals: [(table: String, reason: String)] = []
        var matched = false
        let routes = routes.withLock { $0 }
        let sparkplug = decodeSparkplug(message, routes: routes)
        for route in routes where route.table.matches(topic: message.topic) {
            matched = true
            do {
                for row in try encode(message, for: route.table, context: context, sparkplug: sparkplug) {
                    rows.append(NewRow(
                        table: route.table.name, descriptorID: route.descriptorID, recordID: row.recordID,
                        receivedAt: receivedAt, payload: row.payload))
                }
            } catch {
                refusals.append((route.table.name, error.description))
            }
        }
        if rows.count > Self.maxRowsPerMessage {
            // A journal record holds at most 65,535 rows: refuse the message whole, per table.
            let tables = Set(rows.map(\.table))
            refusals += tables.sorted().map { ($0, "\(rows.count) rows from one message across tables (at most \(Self.maxRowsPerMessage))") }
            rows = []
        }
        if !refusals.isEmpty {
            let payload = message.payloadArray()
            for refusal in refusals {
                quarantine(topic: message.topic, payload: payload, table: refusal.table, reason: refusal.reason, receivedAt: receivedAt)
            }
        }
        state.withLock { $0.counters.messages += 1 }
        guard matched else {
            state.withLock { $0.counters.unrouted += 1 }
            logger.debug("message matches no table", metadata: ["topic": "\(message.topic)"])
            return
        }
        store(rows, delivery: delivery)
        if !stamp.trusted, !rows.isEmpty { clock.noteUntrusted(recordIDs: rows.map(\.recordID), stamp: stamp) }
    }

    private func deliveryMark(_ message: borrowing MQTTDelivery) -> Delivery? {
        guard message.qos > 0, !message.retained, message.mid != 0 else { return nil }
        // Over topic, a separator and payload.
        var hash = FNV1a()
        hash.add(message.topic.utf8)
        hash.add(0xff)
        message.withPayload { bytes in hash.add(bytes) }
        let epoch = state.withLock { $0.connectionEpoch }
        return Delivery(packetID: message.mid, connectionEpoch: epoch, contentHash: hash.signed)
    }

    private func encode(
        _ message: borrowing MQTTDelivery, for table: CompiledTable, context: MessageContext,
        sparkplug: Result<SparkplugMessage, MappingError>?
    ) throws(IntakeError) -> [CompiledTable.EncodedRow] {
        let output: RowMapper.Output
        do {
            if table.mapper.format == .sparkplugB, let sparkplug {
                output = try Self.sparkplugOutput(sparkplug, mapper: table.mapper, message: message, context: context)
            } else {
                let topic = message.topic
                output = try message.withPayload { (bytes) throws(MappingError) -> RowMapper.Output in
                    try table.mapper.map(topic: topic, payloadBytes: bytes, context: context)
                }
            }
        } catch {
            throw IntakeError(description: error.reason)
        }
        return try table.encode(output, recordID: context.recordID)
    }

    private func quarantine(topic: String, payload: [UInt8], table: String, reason: String, receivedAt: Int64) {
        let suppressed = state.withLock { state -> Int? in
            state.counters.quarantined += 1
            return state.quarantineLog.admit()
        }
        if let suppressed {
            var metadata: Logger.Metadata = ["table": "\(table)", "topic": "\(topic)", "reason": "\(reason)"]
            if suppressed > 0 { metadata["not_logged_since_last"] = "\(suppressed)" }
            logger.warning("payload quarantined", metadata: metadata)
        }
        do {
            _ = try ring.quarantineUnmappable(
                table: table, topic: topic, payload: payload, reason: reason, receivedAt: receivedAt)
        } catch {
            logger.error("cannot write to the quarantine", metadata: ["error": "\(error)"])
        }
    }

    /// Commits rows, or holds them (and asks for intake to pause) when the ring is full.
    private func store(_ rows: [NewRow], delivery: Delivery?) {
        guard !rows.isEmpty else { return }
        let holding = state.withLock { state -> Bool in
            guard !state.held.isEmpty else { return false }
            state.held.append(contentsOf: rows)
            return true
        }
        if holding { return }
        do {
            if case .full = try ring.journal(rows, delivery: delivery) {
                state.withLock { $0.held.append(contentsOf: rows) }
                onFull()
            }
            // Full because the journal is at its budget: a drain makes room.
            onJournaled()
        } catch {
            // A disk that refuses writes: keep the rows in memory so the message is not lost
            // while its PUBACK goes out; retried by `writeHeld`.
            logger.error("cannot append to the ring", metadata: ["error": "\(error)"])
            state.withLock { $0.held.append(contentsOf: rows) }
            onFull()
        }
    }

    /// Writes rows held while the ring was full. Returns true when nothing is held any more.
    func writeHeld() -> Bool {
        let held = state.withLock { $0.held }
        guard !held.isEmpty else { return true }
        do {
            guard case .stored = try ring.append(held) else { return false }
        } catch {
            return false
        }
        state.withLock { $0.held.removeFirst(held.count) }
        return state.withLock { $0.held.isEmpty }
    }
}

/// `record_id`s: unique per reading and stable across resends (they are stored with the row).
/// `<gateway>-<start time µs, base 36>-<sequence>`: distinct across restarts without any state.
final class RecordIDGenerator: Sendable {
    private let prefix: String
    private let sequence = Atomic<Int64>(0)

    init(gatewayID: String, startMicros: Int64) {
        prefix = "\(gatewayID)-\(String(startMicros, radix: 36))-"
    }

    func next() -> String {
        prefix + String(sequence.add(1, ordering: .relaxed).newValue)
    }
}
