import DynamicProtobuf

/// How one column of a row is filled.
public struct ColumnMapping: Sendable, Hashable {
    public var column: Column
    public var source: ColumnSource
    /// Used when `source` yields nothing (absent key, JSON null, missing topic level).
    public var defaultSource: ColumnSource?
    /// When true a missing value becomes null; otherwise it is a mapping error.
    public var optional: Bool

    public init(column: Column, source: ColumnSource, defaultSource: ColumnSource? = nil, optional: Bool = false) {
        self.column = column
        self.source = source
        self.defaultSource = defaultSource
        self.optional = optional
    }
}

/// How a table's MQTT payloads are laid out (`format` in agent.toml).
public enum PayloadFormat: String, Sendable, Hashable, CaseIterable {
    /// A JSON document; columns select values with JSON paths.
    case json
    /// One bare number or string (`21.5`, `ON`); `$` selects it.
    case value
    /// Already a protobuf-encoded row for the table's descriptor; passed through unchanged.
    case protobuf
    /// CSV lines (RFC 4180 quoting), one row per line; `$.name` selects a cell by its header name
    /// (or by `csv_columns`). Cells are text; the column types convert them.
    case csv
    /// InfluxDB line protocol, one row per line: `$.measurement`, `$.tags.<key>`,
    /// `$.fields.<key>`, `$.timestamp` (µs since the epoch, from `influx_precision`).
    case influx
    /// Sparkplug B (Eclipse Tahu protobuf on `spBv1.0/...` topics), one row per metric:
    /// `$.name`, `$.value`, `$.datatype`, `$.timestamp`, … (see `SparkplugRecords`).
    case sparkplugB = "sparkplug_b"

    /// True for the formats whose messages hold several readings, each its own row.
    public var isLineOriented: Bool { self == .csv || self == .influx }
}

/// Per-message facts that are not in the topic or payload.
public struct MessageContext: Sendable, Hashable {
    /// Reception time, microseconds since the Unix epoch.
    public var receivedAtMicros: Int64
    public var gatewayID: String
    public var recordID: String
    /// MQTT v5 properties (`mqtt.*` sources); empty under MQTT 3.1.1.
    public var properties: MessageProperties
    /// The `clock_synced` source: false while the wall clock is untrusted (`ClockJudge`).
    public var clockSynced: Bool

    public init(
        receivedAtMicros: Int64, gatewayID: String, recordID: String, properties: MessageProperties = MessageProperties(),
        clockSynced: Bool = true
    ) {
        self.clockSynced = clockSynced
        self.receivedAtMicros = receivedAtMicros
        self.gatewayID = gatewayID
        self.recordID = recordID
        self.properties = properties
    }
}
