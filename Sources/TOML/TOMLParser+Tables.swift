// TOML's rules for who may define or extend a table: [headers] define a table once,
// [[headers]] append to arrays of tables, dotted keys extend only the tables that dotted
// keys created, and inline tables and static arrays are never extended.

extension TOMLParser {
    /// `[a.b.c]`: returns the table that following key/value lines go to.
    func defineTable(_ keys: [KeySegment], headerPosition: TOMLPosition) throws(TOMLError) -> TableBuilder {
        let name = TOMLKeyFormat.path(keys.map(\.name))
        let parent = try headerParent(of: keys, header: "[\(name)]")
        let last = keys[keys.count - 1]
        guard let existing = parent.entry(last.name) else {
            return parent.addTable(last, origin: .header, position: headerPosition)
        }
        switch existing.item {
        case .table(let table):
            switch table.origin {
            case .implicit:
                // Named as a parent earlier ([a.b] before [a]); this is its one definition.
                table.origin = .header
                table.position = headerPosition
                table.keyPosition = last.position
                return table
            case .dotted:
                throw error(
                    "cannot define table [\(name)]: it was already created by dotted keys at line "
                        + "\(existing.keyPosition.line)",
                    at: headerPosition
                )
            case .root, .header, .inline:
                throw error(
                    "table [\(name)] is defined twice (first defined at line \(table.position.line))",
                    at: headerPosition
                )
            }
        case .tableArray(let array):
            throw error(
                "cannot define table [\(name)]: it is an array of tables (defined at line \(array.position.line)); "
                    + "use [[\(name)]] to add an element",
                at: headerPosition
            )
        case .value(let node):
            throw error(
                "cannot define table [\(name)]: key '\(name)' is already \(Self.describe(node.value)) "
                    + "(defined at line \(existing.keyPosition.line))",
                at: headerPosition
            )
        }
    }

    /// `[[a.b.c]]`: appends a new table to the array `a.b.c` and returns it.
    func appendTableArrayElement(_ keys: [KeySegment], headerPosition: TOMLPosition) throws(TOMLError)
        -> TableBuilder
    {
        let name = TOMLKeyFormat.path(keys.map(\.name))
        let parent = try headerParent(of: keys, header: "[[\(name)]]")
        let last = keys[keys.count - 1]
        let element = TableBuilder(
            origin: .header, path: parent.path + [last.name], position: headerPosition, keyPosition: last.position
        )
        guard let existing = parent.entry(last.name) else {
            let array = TableArrayBuilder(position: headerPosition, keyPosition: last.position)
            array.elements.append(element)
            parent.add(last.name, keyPosition: last.position, item: .tableArray(array))
            return element
        }
        switch existing.item {
        case .tableArray(let array):
            array.elements.append(element)
            return element
        case .table:
            throw error(
                "cannot define array of tables [[\(name)]]: '\(name)' is already a table "
                    + "(defined at line \(existing.keyPosition.line))",
                at: headerPosition
            )
        case .value(let node):
            let hint = node.value.arrayValue != nil ? "; [[...]] cannot append to an array written with = [...]" : ""
            throw error(
                "cannot define array of tables [[\(name)]]: key '\(name)' is already \(Self.describe(node.value)) "
                    + "(defined at line \(existing.keyPosition.line))\(hint)",
                at: headerPosition
            )
        }
    }

    /// Walks (creating as needed) the parents of a header's last key. Any table may hold
    /// sub-tables; for an array of tables, the header goes into its latest element.
    private func headerParent(of keys: [KeySegment], header: String) throws(TOMLError) -> TableBuilder {
        var table = root
        for segment in keys.dropLast() {
            guard let existing = table.entry(segment.name) else {
                table = table.addTable(segment, origin: .implicit, position: segment.position)
                continue
            }
            switch existing.item {
            case .table(let child):
                table = child
            case .tableArray(let array):
                table = array.elements[array.elements.count - 1]
            case .value(let node):
                let parentName = TOMLKeyFormat.path(table.path + [segment.name])
                throw error(
                    "cannot define \(header): '\(parentName)' is already \(Self.describe(node.value)) "
                        + "(defined at line \(existing.keyPosition.line))\(Self.inlineHint(node.value))",
                    at: segment.position
                )
            }
        }
        return table
    }

    /// `a.b.c = value` inside `table` (the current header's table or an inline table).
    func insert(_ value: TOMLNode, at keys: [KeySegment], into table: TableBuilder) throws(TOMLError) {
        var written: String { TOMLKeyFormat.path(keys.map(\.name)) }
        var table = table
        for segment in keys.dropLast() {
            guard let existing = table.entry(segment.name) else {
                table = table.addTable(segment, origin: .dotted, position: segment.position)
                continue
            }
            var parentName: String { TOMLKeyFormat.path(table.path + [segment.name]) }
            switch existing.item {
            case .table(let child) where child.origin == .dotted:
                table = child
            case .table(let child):
                let line = child.position.line
                let (how, fix) =
                    child.origin == .implicit
                    ? ("was created implicitly by the header at line \(line)", "add a [\(parentName)] header")
                    : ("is defined by the header at line \(line)", "put the key under that header")
                throw error(
                    "cannot add key '\(written)': table [\(parentName)] \(how), and dotted keys cannot "
                        + "extend tables made by headers; \(fix) instead",
                    at: segment.position
                )
            case .tableArray:
                throw error(
                    "cannot add key '\(written)': '\(parentName)' is an array of tables "
                        + "(defined at line \(existing.keyPosition.line)); dotted keys cannot extend it",
                    at: segment.position
                )
            case .value(let node):
                throw error(
                    "cannot add key '\(written)': '\(parentName)' is already \(Self.describe(node.value)) "
                        + "(defined at line \(existing.keyPosition.line))\(Self.inlineHint(node.value))",
                    at: segment.position
                )
            }
        }
        let last = keys[keys.count - 1]
        if let existing = table.entry(last.name) {
            throw error(
                "duplicate key '\(written)' (first defined at line \(existing.keyPosition.line))",
                at: last.position
            )
        }
        var node = value
        node.keyPosition = last.position
        table.add(last.name, keyPosition: last.position, item: .value(node))
    }

    /// "a string", "an inline table", "an array" for messages.
    static func describe(_ value: TOMLValue) -> String {
        switch value {
        case .table: "an inline table"
        case .array: "an array"
        case .integer: "an integer"
        default: "a \(value.typeName)"
        }
    }

    private static func inlineHint(_ value: TOMLValue) -> String {
        value.tableValue != nil ? ", and inline tables cannot be extended" : ", not a table"
    }
}
