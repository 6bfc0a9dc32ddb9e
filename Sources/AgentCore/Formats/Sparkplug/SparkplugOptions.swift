/// `sparkplug_death` and `sparkplug_commands` of a `format = "sparkplug_b"` table.
public struct SparkplugOptions: Sendable, Hashable {
    /// NDEATH/DDEATH. `row` (default): a death is the only in-band record that an edge node or
    /// device went offline (for an NDEATH, the broker's will, with the bdSeq that pairs it with
    /// its NBIRTH), which availability reports in the table need; `ignore` drops them.
    public enum Death: String, Sendable, Hashable, CaseIterable {
        case row, ignore
    }

    /// NCMD/DCMD are writes a host application sends *to* an edge node, not readings:
    /// `ignore` (default) takes no row; `row` keeps them (an audit trail of commands).
    public enum Commands: String, Sendable, Hashable, CaseIterable {
        case ignore, row
    }

    public var death: Death
    public var commands: Commands

    public init(death: Death = .row, commands: Commands = .ignore) {
        self.death = death
        self.commands = commands
    }
}
