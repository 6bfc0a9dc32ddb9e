/// The agent's configuration (`/etc/zerobus-edge/agent.toml`, SPEC.md §3), fully validated and with
/// every default and `${VAR}` resolved. Optional strings that the file leaves empty ("") are nil.
public struct AgentConfiguration: Sendable, Hashable {
    public var agent: Agent
    public var mqtt: MQTT
    public var zerobus: Zerobus
    public var buffer: Buffer
    public var retry: Retry
    public var health: Health
    public var tables: [TableConfiguration]
    /// Keys that still hold the shipped placeholders (`ShippedPlaceholders`), located like
    /// errors: `check-config` prints them as warnings, and while any is left the agent runs
    /// `unconfigured` (see `unconfiguredReason`).
    public var placeholders: [ConfigError] = []

    public struct Agent: Sendable, Hashable {
        /// Default: the host name. Letters, digits, `.`, `_`, `-` (it is used in MQTT topics).
        public var gatewayID: String
        /// Default `/var/lib/zerobus-edge`; the SQLite ring lives here.
        public var dataDirectory: String
        public var logLevel: LogLevel
        /// `clock_hold_s`: how long uploads wait for an untrusted wall clock (README "Clocks"), so
        /// its rows leave re-based; 0 never waits. Default 600.
        public var clockHoldSeconds: Int = 600
    }

    public enum LogLevel: String, Sendable, Hashable, CaseIterable, Comparable {
        case error, warn, info, debug, trace

        public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public struct MQTT: Sendable, Hashable {
        /// `mqtt://host[:1883]` or `mqtts://host[:8883]`; default `mqtt://127.0.0.1:1883`.
        public var broker: ServiceAddress
        /// `mqtt.protocol`: "v3.1.1" (default) or "v5". v5 brings message properties (`mqtt.*`
        /// sources) and shared subscriptions (`$share/<group>/<filter>` topics).
        public var protocolVersion: MQTTProtocol = .v311
        /// Default `zerobus-edge-<gateway_id>`.
        public var clientID: String
        /// Default false: a persistent session keeps QoS 1 messages at the broker while the agent is down.
        public var cleanSession: Bool
        /// 1 (default) or 2. QoS 0 is refused: the broker would not keep those messages for an
        /// offline agent, which breaks the at-least-once guarantee.
        public var qos: Int
        /// Default 30; 5…65535 (libmosquitto's minimum is 5).
        public var keepAliveSeconds: Int
        public var username: String?
        /// Secret. Nil, like `username`, when credentials are not read (`Authentication.notLoaded`).
        public var password: String?
        /// Only with `mqtts://`.
        public var caFile: String?
        /// Client certificate and key for mutual TLS; both or neither, only with `mqtts://`.
        public var certFile: String?
        public var keyFile: String?
    }

    public enum MQTTProtocol: String, Sendable, Hashable, CaseIterable {
        case v311 = "v3.1.1"
        case v5
    }

    public struct Zerobus: Sendable, Hashable {
        /// `https://<workspace-id>.zerobus.<region>.cloud.databricks.com` (`http://` for a local emulator).
        public var endpoint: ServiceAddress
        public var auth: Authentication
        /// `https://<workspace>.cloud.databricks.com`: the OAuth token endpoint host and the Unity
        /// Catalog REST host (`schema pull`). Required with OAuth, optional with a static token.
        public var workspaceURL: ServiceAddress?
        /// Extra trust anchors (PEM); nil = system store.
        public var caFile: String?
        /// HTTP CONNECT proxy: the `proxy` key, else `https_proxy`/`HTTPS_PROXY` from the environment.
        public var proxy: ServiceAddress?
        /// Host suffixes that bypass the proxy (`no_proxy`/`NO_PROXY`), used only for an
        /// environment-provided proxy; an explicit `proxy` key applies to every host.
        public var noProxy: [String]

        /// The proxy to use for connections to `host`, honouring `no_proxy`.
        public func proxy(forHost host: String) -> ServiceAddress? {
            guard let proxy else { return nil }
            let lowered = host.lowercased()
            for entry in noProxy {
                if entry == "*" { return nil }
                let suffix = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
                if lowered == suffix || lowered.hasSuffix("." + suffix) { return nil }
            }
            return proxy
        }
    }

    public enum Authentication: Sendable, Hashable {
        /// OAuth client credentials (service principal) against `workspaceURL`'s token endpoint.
        case oauth(clientID: String, clientSecret: String, workspaceURL: ServiceAddress)
        /// A static bearer token.
        case token(String)
        /// Credentials were not read: the configuration was loaded for a command that needs
        /// none (`status`, `quarantine`), so their `${VAR}`s may be unset in that shell.
        case notLoaded
    }

    public struct Buffer: Sendable, Hashable {
        /// On-disk bound of the ring (WAL included). Default 512 MiB; at least `minimumMaxBytes`.
        public var maxBytes: Int64

        /// 40 MiB: four times the largest payload a table accepts (`RowMapper.defaultMaxPayloadBytes`,
        /// 10 MiB − 64 KiB), rounded up to whole MiB. A maximum-size row is written into the WAL
        /// before a checkpoint copies it into the file, so it briefly needs twice its size; a ring
        /// that holds fewer than two of them lets one large reading evict everything buffered
        /// before it (a 3 MB row emptied a 1 MiB ring of its small rows).
        public static let minimumMaxBytes: Int64 = 40 << 20
        /// Rows older than this are dropped. Default 7 days.
        public var maxAge: Duration
        public var onFull: OnFull
        public var sync: SyncMode
        /// The quarantine's own bounds (default max_bytes/16 and 10,000 entries): it evicts its
        /// own oldest entries, never readings.
        public var quarantineMaxBytes: Int64
        public var quarantineMaxEntries: Int
    }

    public enum OnFull: String, Sendable, Hashable, CaseIterable {
        /// Default: drop the oldest rows (counted per table).
        case dropOldest = "drop_oldest"
        /// Stop taking messages from MQTT; the broker's session queue absorbs the backlog.
        case pause
    }

    /// SQLite `synchronous` mode of the ring.
    public enum SyncMode: String, Sendable, Hashable, CaseIterable {
        case normal, full
    }

    public struct Retry: Sendable, Hashable {
        /// Default 500 ms.
        public var initialBackoff: Duration
        /// Default 30 s; at least `initialBackoff`.
        public var maxBackoff: Duration
    }

    public struct Health: Sendable, Hashable {
        /// Default 10 s.
        public var interval: Duration
        /// Retained status topic with `{gateway_id}` substituted; nil when set to "".
        public var mqttTopic: String?
        /// Health file path; nil when set to "".
        public var file: String?
        /// `/healthz`, `/readyz`, `/metrics` listener; nil when set to "".
        public var httpListen: HostPort?
        /// Optional Zerobus table for periodic health rows.
        public var table: TableName?
    }
}

/// How a table's rows are sent (`record_type`): protobuf, or JSON objects keyed by column name.
/// JSON is larger on the wire and parsed by the server; choose it for a table whose rescue
/// (VARIANT) column must keep fields the schema lacks (see the `unmapped` source), which
/// Zerobus accepts only in JSON records.
public enum RecordType: String, Sendable, Hashable, CaseIterable {
    case proto
    case json
}

/// `drain`: the order in which a table sends once Zerobus is reachable again after an outage.
/// Rows buffered before the reconnect are the *backlog*; rows that arrive after it are *live*.
public enum DrainOrder: String, Sendable, Hashable, CaseIterable {
    /// Live rows go at once on a stream of their own; the backlog drains beside them with the
    /// remaining capacity. Dashboards and alerts see the present within seconds of the return.
    case liveFirst = "live_first"
    /// Strict row order: live rows wait until the whole backlog is sent (as before `drain`).
    case fifo
}

/// One `[[table]]`: which topics feed it and how payloads become rows.
public struct TableConfiguration: Sendable, Hashable {
    public var name: TableName
    public var topics: [TopicFilter]
    public var format: PayloadFormat
    /// `explode`, and the options of `csv` and `influx` payloads.
    public var payloadOptions: PayloadOptions = PayloadOptions()
    /// `record_type`: how rows travel to Zerobus; default protobuf.
    public var recordType: RecordType = .proto
    /// Default 1000; 1…100000.
    public var batchMaxRecords: Int
    /// Default 4 MiB; at most `RowMapper.defaultMaxPayloadBytes` (10 MiB − 64 KiB).
    public var batchMaxBytes: Int
    /// Default 100 ms; 0…60 s.
    public var linger: Duration
    /// Parallel Zerobus streams; default 1, 1…16.
    public var streams: Int
    /// `drain`: what goes first once the cloud is back after an outage; default live first.
    public var drain: DrainOrder = .liveFirst
    /// `backfill_max_rows_per_s`: the most backlog rows sent per second while a backlog
    /// drains (in either order); 0 = no cap (the default).
    public var backfillMaxRowsPerSecond: Int = 0
    public var schema: Schema

    public enum Schema: Sendable, Hashable {
        /// Columns declared in agent.toml.
        case columns([ColumnMapping])
        /// A descriptor file written by Databricks' schema generator and the message name in it;
        /// JSON fields map to descriptor fields by name (see `RowMapper(descriptorFields:format:)`).
        case descriptor(path: String, message: String)
    }

    /// The row mapper for a table with `columns`, or the pass-through mapper of a `protobuf` table;
    /// nil for a JSON/value descriptor table, whose mapper is built from the loaded descriptor's
    /// fields with `RowMapper(descriptorFields:format:)`.
    public func rowMapper(maxPayloadBytes: Int = RowMapper.defaultMaxPayloadBytes) -> RowMapper? {
        if format == .protobuf { return RowMapper(mappings: [], format: .protobuf, maxPayloadBytes: maxPayloadBytes) }
        guard case .columns(let mappings) = schema else { return nil }
        return RowMapper(mappings: mappings, format: format, options: payloadOptions, maxPayloadBytes: maxPayloadBytes)
    }
}
