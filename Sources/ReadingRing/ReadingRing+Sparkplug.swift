import SQLite

/// The metric definitions (name, alias, datatype) Sparkplug B BIRTH messages declared, kept in
/// the ring so that an agent restarted between a BIRTH and the DATA messages that follow it
/// (which carry only aliases) can still read them. Written on the MQTT thread when a BIRTH
/// arrives, before the message's handler returns (BIRTHs are rare: one per edge node or device
/// session); read once at start-up.
public struct SparkplugAliasRecord: Sendable, Hashable {
    public var group: String
    public var edgeNode: String
    /// "" for the edge node's own metrics.
    public var device: String
    public var name: String
    public var alias: UInt64?
    public var datatype: UInt32

    public init(group: String, edgeNode: String, device: String, name: String, alias: UInt64?, datatype: UInt32) {
        self.group = group
        self.edgeNode = edgeNode
        self.device = device
        self.name = name
        self.alias = alias
        self.datatype = datatype
    }
}

extension RingDatabase {
    /// Added in ring format 2. `alias` holds the uint64 alias's bit pattern.
    static let sparkplugAliasesSchema = """
        CREATE TABLE IF NOT EXISTS sparkplug_aliases(
            group_id TEXT NOT NULL,
            edge_node TEXT NOT NULL,
            device TEXT NOT NULL,
            name TEXT NOT NULL,
            alias INTEGER,
            datatype INTEGER NOT NULL,
            PRIMARY KEY (group_id, edge_node, device, name)) WITHOUT ROWID;
        """
}

extension ReadingRing {
    /// Replaces what a BIRTH's scope declared, in one transaction: an NBIRTH (`device` "")
    /// replaces the node's definitions and drops those of all its devices, a DBIRTH replaces
    /// the device's.
    public func replaceSparkplugAliases(
        group: String, edgeNode: String, device: String, with records: [SparkplugAliasRecord]
    ) throws {
        try withStore { store in
            try store.write {
                let delete = try store.db.prepare(
                    device.isEmpty
                        ? "DELETE FROM sparkplug_aliases WHERE group_id = ?1 AND edge_node = ?2"
                        : "DELETE FROM sparkplug_aliases WHERE group_id = ?1 AND edge_node = ?2 AND device = ?3")
                try delete.bind(group, at: 1)
                try delete.bind(edgeNode, at: 2)
                if !device.isEmpty { try delete.bind(device, at: 3) }
                try delete.run()
                let insert = try store.db.prepare(
                    """
                    INSERT OR REPLACE INTO sparkplug_aliases(group_id, edge_node, device, name, alias, datatype)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                    """)
                for record in records {
                    try insert.withReset { statement in
                        try statement.bind(group, at: 1)
                        try statement.bind(edgeNode, at: 2)
                        try statement.bind(device, at: 3)
                        try statement.bind(record.name, at: 4)
                        try statement.bind(record.alias.map { Int64(bitPattern: $0) }, at: 5)
                        try statement.bind(Int64(record.datatype), at: 6)
                        try statement.run()
                    }
                }
            }
        }
    }

    /// Every stored definition (at start-up).
    public func sparkplugAliases() throws -> [SparkplugAliasRecord] {
        try withStore { store in
            let select = try store.db.prepare(
                "SELECT group_id, edge_node, device, name, alias, datatype FROM sparkplug_aliases")
            var records: [SparkplugAliasRecord] = []
            while try select.step() == .row {
                records.append(SparkplugAliasRecord(
                    group: select.string(0), edgeNode: select.string(1), device: select.string(2), name: select.string(3),
                    alias: select.isNull(4) ? nil : UInt64(bitPattern: select.int64(4)),
                    datatype: UInt32(truncatingIfNeeded: select.int64(5))))
            }
            return records
        }
    }
}
