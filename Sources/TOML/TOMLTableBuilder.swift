import EdgeSupport

// The mutable document tree built while parsing. Tables are reference types here so a
// header like [a.b.c] can walk down and keep a handle on the table it opened; the tree
// is frozen into value types (TOMLTable/TOMLNode) once the whole document is read.

/// How a table came to exist, which decides what may extend it later (TOML 1.0 §Table).
enum TableOrigin {
    case root
    /// Named only as a parent in a header (`a` in `[a.b]`); a later `[a]` may define it.
    case implicit
    /// Defined by a `[header]`, or an element of a `[[header]]` array.
    case header
    /// Created by a dotted key (`a.b = 1` creates `a`); only more dotted keys in the same
    /// table may add to it, and sub-table headers may go below it.
    case dotted
    /// An inline table `{ ... }` under construction; it is stored as a finished value.
    case inline
}

/// One name in a key path, with where it was written.
struct KeySegment {
    var name: String
    var position: TOMLPosition
}

final class TableBuilder {
    enum Item {
        /// A finished value, including inline tables and static arrays (both immutable).
        case value(TOMLNode)
        case table(TableBuilder)
        case tableArray(TableArrayBuilder)
    }

    struct Entry {
        let key: String
        /// Where the key was first written, for "first defined at line N".
        let keyPosition: TOMLPosition
        var item: Item
    }

    var origin: TableOrigin
    var position: TOMLPosition
    var keyPosition: TOMLPosition?
    /// The full key path from the root, for messages.
    let path: [String]
    private(set) var entries: [Entry] = []
    /// Key → offset in `entries`, kept only once a table outgrows a linear scan.
    private var index: [String: Int] = [:]
    private static let indexThreshold = 12

    init(origin: TableOrigin, path: [String], position: TOMLPosition, keyPosition: TOMLPosition?) {
        self.origin = origin
        self.path = path
        self.position = position
        self.keyPosition = keyPosition
    }

    func entry(_ key: String) -> Entry? {
        if entries.count <= Self.indexThreshold {
            return entries.first { $0.key == key }
        }
        return index[key].map { entries[$0] }
    }

    /// Adds a new key; callers check `entry(_:)` first.
    func add(_ key: String, keyPosition: TOMLPosition, item: Item) {
        entries.append(Entry(key: key, keyPosition: keyPosition, item: item))
        if entries.count > Self.indexThreshold {
            if index.isEmpty {
                // Crossing the threshold: index everything so far.
                for (offset, entry) in entries.enumerated() { index[entry.key] = offset }
            } else {
                index[key] = entries.count - 1
            }
        }
    }

    /// Creates, adds and returns a child table.
    func addTable(_ segment: KeySegment, origin: TableOrigin, position: TOMLPosition) -> TableBuilder {
        let child = TableBuilder(
            origin: origin, path: path + [segment.name], position: position, keyPosition: segment.position
        )
        add(segment.name, keyPosition: segment.position, item: .table(child))
        return child
    }

    func build() -> TOMLTable {
        TOMLTable(entries: entries.map { entry in (key: entry.key, node: Self.node(for: entry.item)) })
    }

    func buildNode() -> TOMLNode {
        TOMLNode(value: .table(build()), position: position, keyPosition: keyPosition)
    }

    private static func node(for item: Item) -> TOMLNode {
        switch item {
        case .value(let node):
            node
        case .table(let table):
            table.buildNode()
        case .tableArray(let array):
            TOMLNode(
                value: .array(array.elements.map { $0.buildNode() }),
                position: array.position,
                keyPosition: array.keyPosition
            )
        }
    }
}

/// An array of tables built by `[[header]]` lines; later headers append elements.
final class TableArrayBuilder {
    var elements: [TableBuilder] = []
    let position: TOMLPosition
    let keyPosition: TOMLPosition

    init(position: TOMLPosition, keyPosition: TOMLPosition) {
        self.position = position
        self.keyPosition = keyPosition
    }
}

/// Key paths written back as TOML for messages: `a.b`, `servers."alpha beta"`.
enum TOMLKeyFormat {
    static func path(_ keys: some Sequence<String>) -> String {
        keys.map(key).joined(separator: ".")
    }

    static func key(_ key: String) -> String {
        if !key.isEmpty, key.utf8.allSatisfy(TOMLParser.isBareKeyByte) { return key }
        // A JSON string literal (DEL escaped too) is a valid TOML basic string.
        return JSONString.quoted(key)
    }
}
