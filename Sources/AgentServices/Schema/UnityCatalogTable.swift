import AgentCore

/// The part of a Unity Catalog `GET /api/2.1/unity-catalog/tables/{full_name}` answer that
/// `schema pull` needs: each column's name, type text and nullability.
public struct UnityCatalogTable: Sendable, Hashable {
    public struct Column: Sendable, Hashable {
        public var name: String
        /// SQL type text as UC reports it, e.g. `bigint`, `array<struct<a:int,b:string>>`.
        public var typeText: String
        /// UC's `type_name` (`LONG`, `STRUCT`, `DECIMAL`, …), kept for error messages.
        public var typeName: String?
        public var nullable: Bool

        public init(name: String, typeText: String, typeName: String? = nil, nullable: Bool = true) {
            self.name = name
            self.typeText = typeText
            self.typeName = typeName
            self.nullable = nullable
        }
    }

    public var fullName: String
    /// In table order (UC's `position`).
    public var columns: [Column]

    public init(fullName: String, columns: [Column]) {
        self.fullName = fullName
        self.columns = columns
    }

    /// Parses the REST answer. `nullable` may be missing (Databricks omits some false-valued
    /// fields); then the Spark field in `type_json` decides, else the column counts as nullable.
    public init(json bytes: [UInt8], requestedName: String) throws(SchemaPullError) {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw SchemaPullError(.runtime, "Unity Catalog answer for \(requestedName) is not JSON: \(error)")
        }
        guard case .object(let table) = root, case .array(let entries)? = table["columns"] else {
            throw SchemaPullError(.runtime, "Unity Catalog answer for \(requestedName) has no \"columns\" array")
        }
        var columns: [(position: Int, column: Column)] = []
        for (index, entry) in entries.enumerated() {
            guard case .object(let object) = entry, case .string(let name)? = object["name"],
                case .string(let typeText)? = object["type_text"]
            else {
                throw SchemaPullError(
                    .runtime, "Unity Catalog answer for \(requestedName): column \(index) lacks name or type_text")
            }
            var typeName: String?
            if case .string(let text)? = object["type_name"] { typeName = text }
            let position: Int
            if case .number(let number)? = object["position"], let exact = number.integer {
                position = Int(exact)
            } else {
                position = index
            }
            let column = Column(name: name, typeText: typeText, typeName: typeName, nullable: Self.nullable(object))
            columns.append((position, column))
        }
        // Stable: columns without a position keep their array order.
        let ordered = columns.enumerated().sorted { ($0.element.position, $0.offset) < ($1.element.position, $1.offset) }
        var fullName = requestedName
        if case .string(let name)? = table["full_name"] { fullName = name }
        self.init(fullName: fullName, columns: ordered.map(\.element.column))
    }

    private static func nullable(_ column: JSONObject) -> Bool {
        if case .bool(let flag)? = column["nullable"] { return flag }
        if case .string(let text)? = column["type_json"], let parsed = try? JSONParser.parse(Array(text.utf8)),
            case .object(let field) = parsed, case .bool(let flag)? = field["nullable"]
        {
            return flag
        }
        return true
    }
}
