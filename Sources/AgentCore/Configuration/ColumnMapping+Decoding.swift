import TOML
import DynamicProtobuf

extension ColumnMapping {
    /// Decodes `{ name = "value", type = "double", from = "$.value", default = …, optional = true }`
    /// and checks what can be checked before any message arrives: constants must fit the type,
    /// `received_at` only fills time-like or text columns, and `value` payloads only have `$`.
    static func decode(_ reader: TableReader, format: PayloadFormat, exploded: Bool = false) -> ColumnMapping? {
        var name: String?
        if let text = reader.requiredString("name") {
            if ConfigValueParsing.isIdentifier(text) {
                name = text
            } else {
                reader.report("name", "\"\(text)\" is not a column name: use letters, digits and underscores")
            }
        }
        var type: ColumnType?
        if let text = reader.requiredString("type") {
            do {
                type = try ColumnType(parsing: text)
            } catch {
                reader.report("type", error.reason)
            }
        }
        let source = reader.columnSource("from")
        let fallback = reader.columnSource("default")
        let optional = reader.bool("optional", default: false)
        reader.finish()
        guard let name, let type, case .value(let source) = source else { return nil }
        var defaultSource: ColumnSource?
        switch fallback {
        case .invalid: return nil
        case .absent: break
        case .value(let value): defaultSource = value
        }
        var valid = true
        for (key, candidate) in [("from", source), ("default", defaultSource)] {
            guard let candidate, let problem = problem(with: candidate, type: type, format: format, exploded: exploded) else { continue }
            reader.report(key, problem)
            valid = false
        }
        guard valid else { return nil }
        return ColumnMapping(
            column: Column(name: name, type: type, nullable: true),
            source: source,
            defaultSource: defaultSource,
            optional: optional
        )
    }

    private static func problem(with source: ColumnSource, type: ColumnType, format: PayloadFormat, exploded: Bool) -> String? {
        switch source {
        case .element where !exploded, .elementKey where !exploded:
            return "@ sources read the element of an exploded message; set explode = \"$.path\" on the table first"
        case .jsonPath(let path) where format == .value && !path.components.isEmpty:
            return "format = \"value\" payloads hold a single value; select it with \"$\""
        case .receivedAt:
            switch type {
            case .timestamp, .bigint, .date, .string: return nil
            default: return "received_at can only fill timestamp, bigint, date or string columns"
            }
        case .clockSynced:
            switch type {
            case .boolean, .string: return nil
            default: return "clock_synced can only fill boolean or string columns"
            }
        case .constant(let value):
            do {
                _ = try ValueCoercion.coerce(value, to: type)
                return nil
            } catch {
                return "constant does not fit the column type: \(error.message)"
            }
        default:
            return nil
        }
    }
}

extension TableReader {
    /// A column source: a string (`topic[1]`, `$.value`, `payload`, …) or `{ const = <value> }`.
    func columnSource(_ key: String) -> Lookup<ColumnSource> {
        guard let node = node(key) else {
            if key == "from" {
                report(key, "missing required key")
                return .invalid
            }
            return .absent
        }
        switch node.value {
        case .string:
            guard case .value(let text) = string(key) else { return .invalid }
            do {
                return .value(try ColumnSource(parsing: text))
            } catch {
                report(key, error.description)
                return .invalid
            }
        case .table(let table):
            let constantReader = TableReader(table: table, path: keyPath(key), position: node.position, diagnostics: diagnostics)
            defer { constantReader.finish() }
            guard let constant = constantReader.node("const") else {
                report(key, "expected { const = <value> }")
                return .invalid
            }
            guard let value = jsonValue(of: constant, keyPath: constantReader.keyPath("const")) else { return .invalid }
            return .value(.constant(value))
        default:
            reportWrongType(key, expected: "a source such as \"$.value\" or { const = … }", node: node)
            return .invalid
        }
    }

    /// A TOML value as JSON, for constants: datetimes become their text, strings are interpolated.
    private func jsonValue(of node: TOMLNode, keyPath: String) -> JSONValue? {
        switch node.value {
        case .string(let raw):
            return diagnostics.interpolate(raw, keyPath: keyPath, at: node.position).map(JSONValue.string)
        case .integer(let value): return .number(JSONNumber(integer: value))
        case .float(let value):
            guard value.isFinite else {
                diagnostics.report(keyPath, at: node.position, "constants must be finite numbers")
                return nil
            }
            return .number(JSONNumber(double: value))
        case .boolean(let value): return .bool(value)
        case .datetime(let text): return .string(text)
        case .array(let elements):
            var values: [JSONValue] = []
            for (index, element) in elements.enumerated() {
                guard let value = jsonValue(of: element, keyPath: keyPath + "[\(index)]") else { return nil }
                values.append(value)
            }
            return .array(values)
        case .table(let table):
            var members: [JSONObject.Member] = []
            for (key, member) in table.entries {
                guard let value = jsonValue(of: member, keyPath: keyPath + "." + key) else { return nil }
                members.append(JSONObject.Member(key: key, value: value))
            }
            return .object(JSONObject(members))
        }
    }
}
