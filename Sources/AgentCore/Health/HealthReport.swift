/// The agent's state as one word, as it appears in the health document and in `/metrics`.
public enum HealthState: String, Sendable, Hashable, CaseIterable {
    /// MQTT and Zerobus connected, backlog draining or small, nothing being lost.
    case online
    /// Working, but something needs attention (see `HealthStateRule`).
    case degraded
    /// Readings cannot reach the cloud: Zerobus has been unreachable for a while.
    case offline
    /// The configuration still holds the shipped placeholders (`ShippedPlaceholders`): readings
    /// are buffered, nothing is sent, and the token endpoint is never contacted. The reason is
    /// in `zerobus.last_error`. An addition to SPEC §5's three states.
    case unconfigured
}

/// The health document of SPEC §5: the same value is published on the MQTT status topic
/// (retained), written to the health file and served by `GET /healthz`.
///
/// Field order and JSON names are the contract (see `jsonString()`):
/// ```json
/// {"gateway_id":"gw-berlin-01","state":"online","since":"2026-05-28T20:26:40Z",
///  "mqtt":{"connected":true,"messages_total":123},
///  "zerobus":{"connected":false,"last_ack_at":"…","offline_for_s":312,"reconnects_total":4,"last_error":"…"},
///  "buffer":{"rows":40312,"bytes":8123456,"max_bytes":536870912,"fill_ratio":0.015,"oldest_age_s":311,
///            "dropped_total":0,"quarantined_total":2},
///  "tables":[{"name":"main.iot.readings","rows":40000,"acked_total":998877,"rate_per_s":1500.0,
///             "dropped_total":0,"quarantined_total":2}],
///  "version":"0.1.0"}
/// ```
/// Additive to SPEC §5: each table entry also carries its own `dropped_total` and
/// `quarantined_total` (the buffer-wide figures are their sums plus anything not attributable
/// to a table), and `config_error` (before `tables`) is null, or says why the last reload was
/// refused. Readers must ignore keys they do not know; `parse(json:)` does.
public struct HealthReport: Sendable, Hashable {
    /// `agent.gateway_id`.
    public var gatewayID: String
    /// The verdict of `HealthStateRule` for this report.
    public var state: HealthState
    /// When `state` last changed, in Unix seconds; serialised as ISO-8601 UTC (`…Z`).
    public var since: Int64
    public var mqtt: MQTTStatus
    public var zerobus: ZerobusStatus
    public var buffer: BufferStatus
    /// `config_error` (additive): the last configuration reload was refused; nil when the file
    /// the agent runs with is the file on disk (or nobody asked for a reload since it changed).
    public var configError: ConfigErrorStatus?
    /// One entry per configured table, in configuration order; then tables removed from the
    /// configuration whose buffered rows still drain; then the health table.
    public var tables: [TableStatus]
    /// `outages` (additive): recent periods without the cloud, oldest first (see `Outage`).
    public var outages: [Outage] = []
    /// `clock` (additive): the wall clock's state (see `ClockStatus`); nil: not judged (omitted).
    public var clock: ClockStatus?
    /// The agent's version (`zerobus-edge --version`).
    public var version: String

    public init(
        gatewayID: String, state: HealthState, since: Int64, mqtt: MQTTStatus, zerobus: ZerobusStatus,
        buffer: BufferStatus, configError: ConfigErrorStatus? = nil, tables: [TableStatus], version: String
    ) {
        self.configError = configError
        self.gatewayID = gatewayID
        self.state = state
        self.since = since
        self.mqtt = mqtt
        self.zerobus = zerobus
        self.buffer = buffer
        self.tables = tables
        self.version = version
    }

    /// The broker connection (`"mqtt"`).
    public struct MQTTStatus: Sendable, Hashable {
        /// `connected`: the MQTT session is up.
        public var connected: Bool
        /// `messages_total`: messages taken from the broker since the process started.
        public var messagesTotal: Int

        public init(connected: Bool, messagesTotal: Int) {
            self.connected = connected
            self.messagesTotal = messagesTotal
        }
    }

    /// The cloud link (`"zerobus"`).
    public struct ZerobusStatus: Sendable, Hashable {
        /// `connected`: at least one Zerobus stream is open.
        public var connected: Bool
        /// `last_ack_at`: the last durability ack in Unix seconds (ISO-8601 in JSON), nil if none yet.
        public var lastAckAt: Int64?
        /// `offline_for_s`: seconds since the link was last connected; 0 while connected.
        public var offlineForSeconds: Int
        /// `reconnects_total`: stream (re)creations after a failure since the process started.
        public var reconnectsTotal: Int
        /// `last_error`: the last error of the link (never contains secrets), nil if none.
        public var lastError: String?

        public init(
            connected: Bool, lastAckAt: Int64?, offlineForSeconds: Int, reconnectsTotal: Int, lastError: String?
        ) {
            self.connected = connected
            self.lastAckAt = lastAckAt
            self.offlineForSeconds = offlineForSeconds
            self.reconnectsTotal = reconnectsTotal
            self.lastError = lastError
        }
    }

    /// The on-disk ring (`"buffer"`).
    public struct BufferStatus: Sendable, Hashable {
        /// `rows`: rows waiting for an ack, all tables.
        public var rows: Int
        /// `bytes`: size of the ring on disk (WAL included).
        public var bytes: Int
        /// `max_bytes`: `buffer.max_bytes`.
        public var maxBytes: Int
        /// `fill_ratio`: `bytes / max_bytes`, 0…1 (may exceed 1 within the documented slack).
        public var fillRatio: Double
        /// `oldest_age_s`: age of the oldest buffered row in seconds; 0 when empty.
        public var oldestAgeSeconds: Int
        /// `dropped_total`: rows dropped for space or age since the process started.
        public var droppedTotal: Int
        /// `quarantined_total`: rows moved to the quarantine since the process started.
        public var quarantinedTotal: Int
        /// `lost_at_start` (additive): rows this start found lost to damaged or missing state
        /// files (an upper bound where the damage hides the exact figure); 0 normally.
        public var lostAtStart: Int
        /// `start_recovery` (additive): what this start found and did about it, nil normally.
        public var startRecovery: String?
        /// `damaged_files_at_start` (additive): state files this start found damaged and moved
        /// aside or salvaged (the ring, intake-journal files, a WAL or ring cut short); 0 normally.
        public var damagedFilesAtStart = 0
        /// `dropped` / `quarantined` (additive): the totals above by reason, all tables.
        public var ledger = Ledger()

        public init(
            rows: Int, bytes: Int, maxBytes: Int, fillRatio: Double, oldestAgeSeconds: Int,
            droppedTotal: Int, quarantinedTotal: Int, lostAtStart: Int = 0, startRecovery: String? = nil
        ) {
            self.lostAtStart = lostAtStart
            self.startRecovery = startRecovery
            self.rows = rows
            self.bytes = bytes
            self.maxBytes = maxBytes
            self.fillRatio = fillRatio
            self.oldestAgeSeconds = oldestAgeSeconds
            self.droppedTotal = droppedTotal
            self.quarantinedTotal = quarantinedTotal
        }
    }

    /// `"config_error"`: a reload (SIGHUP) found the file invalid; the agent keeps running with
    /// the configuration it had, until a reload succeeds.
    public struct ConfigErrorStatus: Sendable, Hashable {
        /// `message`: what happened, for people.
        public var message: String
        /// `errors`: every problem, `file:line: key: message`.
        public var errors: [String]
        /// `since`: the first refused reload of this streak, Unix seconds (ISO-8601 in JSON).
        public var since: Int64

        public init(message: String, errors: [String], since: Int64) {
            self.message = message
            self.errors = errors
            self.since = since
        }
    }

    /// One entry of `"tables"`.
    public struct TableStatus: Sendable, Hashable {
        /// `name`: `catalog.schema.table`.
        public var name: String
        /// `rows`: rows of this table waiting for an ack.
        public var rows: Int
        /// `acked_total`: rows acked by Zerobus since the process started.
        public var ackedTotal: Int
        /// `rate_per_s`: acked rows per second over the last health interval.
        public var ratePerSecond: Double
        /// `dropped_total` (additive to SPEC §5): this table's rows dropped for space or age.
        public var droppedTotal: Int
        /// `quarantined_total` (additive to SPEC §5): this table's rows moved to the quarantine.
        public var quarantinedTotal: Int
        /// `dropped` / `quarantined` (additive): this table's totals by reason.
        public var ledger = Ledger()
        /// `backlog` (additive): the drain after an outage while it lasts; absent otherwise.
        public var backlog: Backlog?

        public init(
            name: String, rows: Int, ackedTotal: Int, ratePerSecond: Double, droppedTotal: Int = 0,
            quarantinedTotal: Int = 0
        ) {
            self.name = name
            self.rows = rows
            self.ackedTotal = ackedTotal
            self.ratePerSecond = ratePerSecond
            self.droppedTotal = droppedTotal
            self.quarantinedTotal = quarantinedTotal
        }
    }
}

extension HealthReport {
    /// `"backlog"` of a table: rows buffered before the link came back, still being delivered
    /// (see `drain` in agent.toml): `{"rows":N,"initial_rows":M,"progress":0.42,"eta_s":17}`.
    public struct Backlog: Sendable, Hashable {
        /// `rows`: backlog rows not delivered yet.
        public var rows: Int
        /// `initial_rows`: backlog rows when the drain began (plus rows later reconnects added).
        public var initialRows: Int
        /// `progress`: 0…1, the share of `initial_rows` delivered (or dropped for age).
        public var progress: Double
        /// `eta_s`: seconds until the backlog is gone at the rate measured over the last 30 s;
        /// null until a rate is known or while it does not shrink.
        public var etaSeconds: Int?

        public init(rows: Int, initialRows: Int, progress: Double, etaSeconds: Int?) {
            self.rows = rows
            self.initialRows = initialRows
            self.progress = progress
            self.etaSeconds = etaSeconds
        }
    }

    /// Rows acked across all tables since the process started.
    public var ackedTotal: Int {
        tables.reduce(0) { $0 + $1.ackedTotal }
    }
}
