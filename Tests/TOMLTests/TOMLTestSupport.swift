import TOML
import Testing

/// One step of a path into a parsed document: a key, or an index into an array.
enum TOMLPathStep: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, Sendable {
    case key(String)
    case index(Int)

    init(stringLiteral value: String) { self = .key(value) }
    init(integerLiteral value: Int) { self = .index(value) }
}

/// The node at `path` (keys through tables, indices through arrays), or nil.
func node(_ table: TOMLTable, _ path: TOMLPathStep...) -> TOMLNode? {
    var current = TOMLNode(value: .table(table), position: TOMLPosition(line: 1, column: 1))
    for step in path {
        switch (step, current.value) {
        case (.key(let key), .table(let table)):
            guard let next = table[key] else { return nil }
            current = next
        case (.index(let index), .array(let elements)) where elements.indices.contains(index):
            current = elements[index]
        default:
            return nil
        }
    }
    return current
}

/// The value at `path`, or nil.
func value(_ table: TOMLTable, _ path: TOMLPathStep...) -> TOMLValue? {
    var current: TOMLValue = .table(table)
    for step in path {
        switch (step, current) {
        case (.key(let key), .table(let table)):
            guard let next = table[key] else { return nil }
            current = next.value
        case (.index(let index), .array(let elements)) where elements.indices.contains(index):
            current = elements[index].value
        default:
            return nil
        }
    }
    return current
}

/// Parses text that must be valid, recording an issue (and returning an empty table) if not.
func parseValid(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> TOMLTable {
    do {
        return try TOML.parse(text)
    } catch {
        Issue.record("unexpected TOML error: \(error)", sourceLocation: sourceLocation)
        return TOMLTable()
    }
}

/// Parses text that must be invalid and returns the error (nil, with an issue, if it parsed).
func parseError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> TOMLError? {
    do {
        let table = try TOML.parse(text)
        Issue.record("expected a TOML error, but parsed keys \(table.keys)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

func pos(_ line: Int, _ column: Int) -> TOMLPosition {
    TOMLPosition(line: line, column: column)
}
