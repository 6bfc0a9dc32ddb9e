/// What the BIRTH messages declared: per edge node and per device, each metric's name, alias
/// and datatype, so that DATA messages carrying only aliases (and often no datatype) can be read.
///
/// A new NBIRTH replaces its node's definitions *and those of all its devices* (the node's
/// session restarted; its devices send DBIRTHs again), a DBIRTH replaces its device's. Deaths
/// change nothing: an NDEATH is the broker's will and may arrive after the node's next NBIRTH
/// (a takeover), so clearing on death could drop the new session's aliases.
public struct SparkplugAliasBook: Sendable {
    public struct Scope: Sendable, Hashable {
        public var group: String
        public var edgeNode: String
        /// "" for the edge node itself.
        public var device: String

        public init(group: String, edgeNode: String, device: String) {
            self.group = group
            self.edgeNode = edgeNode
            self.device = device
        }
    }

    public struct Definition: Sendable, Hashable {
        public var name: String
        public var alias: UInt64?
        public var datatype: UInt32

        public init(name: String, alias: UInt64?, datatype: UInt32) {
            self.name = name
            self.alias = alias
            self.datatype = datatype
        }
    }

    /// One BIRTH's definitions, indexed both ways.
    struct Births: Sendable {
        var byAlias: [UInt64: Definition] = [:]
        var byName: [String: Definition] = [:]
    }

    private var births: [Scope: Births] = [:]

    public init() {}

    /// Rebuilds the book from stored definitions (the ring's copy, at start-up).
    public init(_ stored: [(scope: Scope, definition: Definition)]) {
        for (scope, definition) in stored { births[scope, default: Births()].add(definition) }
    }

    public var scopeCount: Int { births.count }

    /// Applies a BIRTH: the scope's definitions are replaced; an NBIRTH (device "") also
    /// forgets the node's devices.
    public mutating func replace(_ scope: Scope, with definitions: [Definition]) {
        if scope.device.isEmpty {
            births = births.filter { $0.key.group != scope.group || $0.key.edgeNode != scope.edgeNode }
        }
        var fresh = Births()
        for definition in definitions { fresh.add(definition) }
        births[scope] = fresh
    }

    func definition(alias: UInt64, in scope: Scope) -> Definition? {
        births[scope]?.byAlias[alias]
    }

    func definition(name: String, in scope: Scope) -> Definition? {
        births[scope]?.byName[name]
    }

    func hasBirth(_ scope: Scope) -> Bool { births[scope] != nil }
}

extension SparkplugAliasBook.Births {
    mutating func add(_ definition: SparkplugAliasBook.Definition) {
        byName[definition.name] = definition
        if let alias = definition.alias { byAlias[alias] = definition }
    }
}
