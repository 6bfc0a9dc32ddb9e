/// One problem in the configuration file, located by line and key path, e.g.
/// `agent.toml:42: table[2].columns[3].type: unknown type 'decimal'`.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file as given to `load(path:)` (or the label passed when decoding a parsed table).
    public var file: String
    /// 1-based line, when the problem has a place in the file (a missing section does not).
    public var line: Int?
    /// 1-based column of the key or value, when known.
    public var column: Int?
    /// Dotted key path; array elements are 0-based: `table[0].columns[3].type`. Empty for
    /// file-level problems (unreadable file, TOML syntax).
    public var keyPath: String
    public var message: String

    public init(file: String, line: Int?, column: Int? = nil, keyPath: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if !keyPath.isEmpty { text += keyPath + ": " }
        return text + message
    }

    /// The same, marked as a warning (`check-config` still succeeds), e.g.
    /// `agent.toml:62: zerobus.endpoint: warning: still the shipped placeholder: …`.
    public var warningDescription: String {
        ConfigError(file: file, line: line, column: column, keyPath: keyPath, message: "warning: " + message).description
    }
}

/// Every problem found in one configuration file, in file order, so an operator can fix them
/// all in one pass.
public struct ConfigErrors: Error, Sendable, Hashable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    /// One error per line.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
