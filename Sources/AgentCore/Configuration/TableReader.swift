import TOML
/// Reads the keys of one TOML table (a section, a `[[table]]` element, a column) with type checks,
/// `${VAR}` interpolation and defaults, reporting problems to the shared diagnostics instead of
/// stopping. `finish()` then reports every key nobody asked for as unknown.
final class TableReader {
    enum Lookup<Value> {
        case absent
        /// Present but unusable; already reported.
        case invalid
        case value(Value)
    }

    let table: TOMLTable
    /// Key path of the table itself ("" for the root, "mqtt", "table[1]").
    let path: String
    /// Where the table starts; used for errors about keys it lacks.
    let position: TOMLPosition?
    let diagnostics: ConfigDiagnostics
    private var knownKeys: [String] = []

    init(table: TOMLTable, path: String, position: TOMLPosition?, diagnostics: ConfigDiagnostics) {
        self.table = table
        self.path = path
        self.position = position
        self.diagnostics = diagnostics
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The node for `key`, marking the key as known.
    func node(_ key: String) -> TOMLNode? {
        knownKeys.append(key)
        return table[key]
    }

    /// Position of the value of `key`, or of this table when the key is absent.
    func position(of key: String) -> TOMLPosition? { table[key]?.position ?? position }

    func report(_ key: String, _ message: String) {
        diagnostics.report(keyPath(key), at: position(of: key), message)
    }

    func warn(_ key: String, _ message: String) {
        diagnostics.warn(keyPath(key), at: position(of: key), message)
    }

    func reportWrongType(_ key: String, expected: String, node: TOMLNode) {
        report(key, "expected \(expected), got \(article(node.value.typeName)) \(node.value.typeName)")
    }

    // MARK: Strings

    /// `unsetMeansEmpty`: see `ConfigDiagnostics.interpolate`.
    func string(_ key: String, unsetMeansEmpty: Bool = false) -> Lookup<String> {
        guard let node = node(key) else { return .absent }
        guard case .string(let raw) = node.value else {
            reportWrongType(key, expected: "a string", node: node)
            return .invalid
        }
        guard let text = diagnostics.interpolate(raw, keyPath: keyPath(key), at: node.position, unsetMeansEmpty: unsetMeansEmpty)
        else { return .invalid }
        return .value(text)
    }

    func string(_ key: String, default fallback: String) -> String {
        if case .value(let text) = string(key) { return text }
        return fallback
    }

    /// A string where "" means "not set" (the SPEC's convention for optional paths and credentials).
    func optionalString(_ key: String, unsetMeansEmpty: Bool = true) -> String? {
        if case .value(let text) = nonEmptyString(key, unsetMeansEmpty: unsetMeansEmpty) { return text }
        return nil
    }

    /// Like `string(_:)`, with "" reading as `.absent`.
    func nonEmptyString(_ key: String, unsetMeansEmpty: Bool = true) -> Lookup<String> {
        switch string(key, unsetMeansEmpty: unsetMeansEmpty) {
        case .value(let text): text.isEmpty ? .absent : .value(text)
        case .absent: .absent
        case .invalid: .invalid
        }
    }

    func requiredString(_ key: String) -> String? {
        switch string(key) {
        case .absent:
            report(key, "missing required key")
            return nil
        case .invalid: return nil
        case .value(let text): return text
        }
    }

    /// A credential key when credentials are not read (`diagnostics.readsCredentials` false):
    /// known, and a string if present, but never interpolated, so an unset `${VAR}` in it is no
    /// error for a command that needs no secrets.
    func skipCredential(_ key: String) {
        guard let node = node(key) else { return }
        if case .string = node.value { return }
        reportWrongType(key, expected: "a string", node: node)
    }

    /// "; environment variable 'X' is not set" for variables that left these keys empty, or "".
    func unsetVariablesNote(_ keys: String...) -> String {
        let names = keys.flatMap { diagnostics.unsetVariables[keyPath($0)] ?? [] }
        switch names.count {
        case 0: return ""
        case 1: return "; environment variable '\(names[0])' is not set"
        default: return "; environment variables " + names.map { "'\($0)'" }.joined(separator: ", ") + " are not set"
        }
    }

    // MARK: Scalars

    func integer(_ key: String, default fallback: Int64, range: ClosedRange<Int64>, rangeHint: String? = nil) -> Int64 {
        guard let node = node(key) else { return fallback }
        guard case .integer(let value) = node.value else {
            reportWrongType(key, expected: "an integer", node: node)
            return fallback
        }
        guard range.contains(value) else {
            report(key, rangeHint ?? "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
            return fallback
        }
        return value
    }

    func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let node = node(key) else { return fallback }
        guard case .boolean(let value) = node.value else {
            reportWrongType(key, expected: "true or false", node: node)
            return fallback
        }
        return value
    }

    func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, default fallback: Choice) -> Choice
    where Choice.RawValue == String {
        guard case .value(let text) = string(key) else { return fallback }
        guard let choice = Choice(rawValue: text) else {
            let options = Choice.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            report(key, "invalid value \"\(text)\", expected one of \(options)")
            return fallback
        }
        return choice
    }

    /// A byte size: an integer number of bytes or a string such as "4MiB", "512 MiB", "1GB".
    func byteSize(_ key: String, default fallback: Int64, range: ClosedRange<Int64>) -> Int64 {
        guard let node = node(key) else { return fallback }
        let size: Int64
        switch node.value {
        case .integer(let value): size = value
        case .string:
            guard case .value(let text) = string(key) else { return fallback }
            guard let parsed = ConfigValueParsing.byteSize(text) else {
                report(key, "invalid size \"\(text)\" (examples: \"4MiB\", \"512MiB\", \"1GB\", 1048576)")
                return fallback
            }
            size = parsed
        default:
            reportWrongType(key, expected: "a size such as \"4MiB\"", node: node)
            return fallback
        }
        guard range.contains(size) else {
            let got = ", got \(ConfigValueParsing.formatBytes(size))"
            if size > range.upperBound {
                report(key, "must be at most \(ConfigValueParsing.formatBytes(range.upperBound))" + got)
            } else {
                report(key, "must be at least \(ConfigValueParsing.formatBytes(range.lowerBound))" + got)
            }
            return fallback
        }
        return size
    }

    /// A duration: a string such as "7d", "12h", "30m", "45s", "500ms", "1h30m", or integer seconds.
    func duration(_ key: String, default fallback: Duration, minimum: Duration) -> Duration {
        guard let node = node(key) else { return fallback }
        let duration: Duration
        switch node.value {
        case .integer(let seconds): duration = .seconds(seconds)
        case .string:
            guard case .value(let text) = string(key) else { return fallback }
            guard let parsed = ConfigValueParsing.duration(text) else {
                report(key, "invalid duration \"\(text)\" (examples: \"7d\", \"12h\", \"30m\", \"45s\", \"500ms\")")
                return fallback
            }
            duration = parsed
        default:
            reportWrongType(key, expected: "a duration such as \"7d\"", node: node)
            return fallback
        }
        guard duration >= minimum else {
            report(key, "must be at least \(ConfigValueParsing.formatDuration(minimum))")
            return fallback
        }
        return duration
    }

    // MARK: Structure

    /// A sub-table such as `[mqtt]`; nil when absent or not a table (reported).
    func table(_ key: String) -> TableReader? {
        guard let node = node(key) else { return nil }
        guard case .table(let table) = node.value else {
            reportWrongType(key, expected: "a table ([\(keyPath(key))])", node: node)
            return nil
        }
        return TableReader(table: table, path: keyPath(key), position: node.position, diagnostics: diagnostics)
    }

    func array(_ key: String) -> Lookup<[TOMLNode]> {
        guard let node = node(key) else { return .absent }
        guard case .array(let elements) = node.value else {
            reportWrongType(key, expected: "an array", node: node)
            return .invalid
        }
        return .value(elements)
    }

    /// Reports every key of the table that was never asked for, with a spelling suggestion.
    func finish() {
        for (key, node) in table.entries where !knownKeys.contains(key) {
            var message = "unknown key"
            if let suggestion = closestKey(to: key, among: knownKeys) { message += " (did you mean '\(suggestion)'?)" }
            diagnostics.report(keyPath(key), at: node.keyPosition ?? node.position, message)
        }
    }
}

func article(_ noun: String) -> String {
    guard let first = noun.first else { return "a" }
    return "aeiou".contains(first) ? "an" : "a"
}
