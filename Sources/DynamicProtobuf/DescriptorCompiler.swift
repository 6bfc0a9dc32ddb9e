import SwiftProtobuf

extension MessageDescriptor {
    /// Compiles a record message. `package` is the package the message was declared in (used to
    /// resolve relative `type_name`s; may be empty). Every message or enum a field uses must be
    /// nested inside `descriptorProto`, since that is all the server will see.
    ///
    /// Enum fields are supported (values are `.int`, checked against the declared numbers);
    /// `group` fields and recursive message types are rejected.
    public convenience init(descriptorProto: Google_Protobuf_DescriptorProto, package: String) throws(DescriptorError) {
        try self.init(compiling: descriptorProto, package: package, columns: nil)
    }

    /// Reads back `serializedDescriptorProto()` bytes (self-contained, so no package is needed),
    /// e.g. the descriptor stored in the agent's ring with rows of a table no longer configured.
    public convenience init(serializedDescriptorProto bytes: [UInt8]) throws(DescriptorError) {
        let proto: Google_Protobuf_DescriptorProto
        do {
            proto = try Google_Protobuf_DescriptorProto(serializedBytes: bytes)
        } catch {
            throw DescriptorError("not a serialized DescriptorProto: \(error)")
        }
        try self.init(compiling: proto, package: Self.package(referencedBy: proto), columns: nil)
    }

    /// The package the message was declared in, as its own fully qualified references to nested
    /// types show it (`.pkg.Row.Nested` → `pkg`); "" when nothing refers to a nested type.
    static func package(referencedBy proto: Google_Protobuf_DescriptorProto) -> String {
        let marker = ".\(proto.name)."
        func search(_ message: Google_Protobuf_DescriptorProto) -> String? {
            for field in message.field where field.typeName.hasPrefix(".") {
                if let range = field.typeName.firstRange(of: marker) {
                    return String(field.typeName[field.typeName.index(after: field.typeName.startIndex)..<range.lowerBound])
                }
            }
            for nested in message.nestedType {
                if let found = search(nested) { return found }
            }
            return nil
        }
        return search(proto) ?? ""
    }

    /// `columns`, when the descriptor was built from a table schema, lets fields remember their
    /// Unity Catalog types (for tinyint/smallint range checks).
    convenience init(
        compiling proto: Google_Protobuf_DescriptorProto, package: String, columns: [Column]?
    ) throws(DescriptorError) {
        guard !proto.name.isEmpty else { throw DescriptorError("the DescriptorProto has no name") }
        let fullName = qualified(proto.name, in: package)
        var sourceIndex = TypeIndex()
        sourceIndex.add(message: proto, scope: package)
        var builder = SelfContainedDescriptorBuilder(index: sourceIndex, rootFullName: fullName)
        let normalized = try builder.build()

        var index = TypeIndex()
        index.add(message: normalized, scope: package)
        var compiler = DescriptorCompiler(index: index)
        let fields = try compiler.fields(of: normalized, fullName: fullName, columns: columns, path: "")
        self.init(
            name: normalized.name, fullName: fullName, fields: fields,
            isMapEntry: normalized.options.mapEntry, descriptorProto: normalized)
    }
}

/// Walks a self-contained, fully qualified `DescriptorProto` and builds the `MessageDescriptor` tree.
struct DescriptorCompiler {
    let index: TypeIndex
    private var compiled: [String: MessageDescriptor] = [:]
    private var inProgress = Set<String>()

    init(index: TypeIndex) {
        self.index = index
    }

    mutating func fields(
        of message: Google_Protobuf_DescriptorProto, fullName: String, columns: [Column]?, path: String
    ) throws(DescriptorError) -> [FieldDescriptor] {
        inProgress.insert(fullName)
        defer { inProgress.remove(fullName) }
        var result: [FieldDescriptor] = []
        var numbers = Set<Int32>()
        for (position, field) in message.field.enumerated() {
            let fieldPath = path.isEmpty ? field.name : "\(path).\(field.name)"
            guard field.number > 0, numbers.insert(field.number).inserted else {
                throw DescriptorError("\(fieldPath): field number \(field.number) is invalid or used twice")
            }
            let column = columns.flatMap { position < $0.count && $0[position].name == field.name ? $0[position] : nil }
            result.append(try compile(field, column: column, scope: fullName, path: fieldPath))
        }
        return result
    }

    private mutating func compile(
        _ field: Google_Protobuf_FieldDescriptorProto, column: Column?, scope: String, path: String
    ) throws(DescriptorError) -> FieldDescriptor {
        let label: FieldLabel =
            switch field.label {
            case .optional: .optional
            case .required: .required
            case .repeated: .repeated
            }
        // For repeated fields the column type that matters is the element's.
        var columnType = column?.type
        if label == .repeated, case .array(let element)? = columnType { columnType = element }

        var message: MessageDescriptor?
        var enumName: String?
        var enumValues: [Int32] = []
        let type: ProtoFieldType
        switch field.type {
        case .double: type = .double
        case .float: type = .float
        case .int64: type = .int64
        case .uint64: type = .uint64
        case .int32: type = .int32
        case .fixed64: type = .fixed64
        case .fixed32: type = .fixed32
        case .bool: type = .bool
        case .string: type = .string
        case .bytes: type = .bytes
        case .uint32: type = .uint32
        case .sfixed32: type = .sfixed32
        case .sfixed64: type = .sfixed64
        case .sint32: type = .sint32
        case .sint64: type = .sint64
        case .group:
            throw DescriptorError("\(path): group fields are not supported (use a nested message)")
        case .enum:
            type = .enumeration
            guard let target = index.resolve(field.typeName, from: scope), case .enumeration(let definition)? = index[target]
            else {
                throw DescriptorError("\(path): enum type '\(field.typeName)' is not nested inside the record message")
            }
            enumName = target
            enumValues = definition.value.map(\.number)
        case .message:
            type = .message
            guard let target = index.resolve(field.typeName, from: scope), case .message? = index[target] else {
                throw DescriptorError("\(path): message type '\(field.typeName)' is not nested inside the record message")
            }
            message = try descriptor(for: target, columns: nestedColumns(of: columnType), path: path)
        }
        let isMap = label == .repeated && (message?.isMapEntry ?? false)
        if isMap {
            guard let entry = message, entry.fields.count == 2, entry.fields[0].number == 1, entry.fields[1].number == 2
            else {
                throw DescriptorError("\(path): map entry type must have exactly the fields key = 1 and value = 2")
            }
        }
        return FieldDescriptor(
            name: field.name, number: field.number, type: type, label: label, message: message, isMap: isMap,
            columnType: isMap ? column?.type : columnType, enumName: enumName, enumValues: enumValues)
    }

    private mutating func descriptor(
        for fullName: String, columns: [Column]?, path: String
    ) throws(DescriptorError) -> MessageDescriptor {
        if let done = compiled[fullName], columns == nil { return done }
        guard !inProgress.contains(fullName) else {
            throw DescriptorError("\(path): recursive message type '\(fullName)' is not supported")
        }
        // A descriptor file can chain thousands of message types; compiling recursed once per
        // level and a 3000-deep chain crashed check-config (SIGSEGV). The limit is the one for
        // column types, so every table a `columns` block can declare still compiles.
        guard inProgress.count <= ColumnType.maximumNesting else {
            throw DescriptorError("\(path): messages nested more than \(ColumnType.maximumNesting) levels deep are not supported")
        }
        guard case .message(let proto)? = index[fullName] else {
            throw DescriptorError("\(path): message type '\(fullName)' not found")
        }
        let fields = try self.fields(of: proto, fullName: fullName, columns: columns, path: path)
        let descriptor = MessageDescriptor(
            name: proto.name, fullName: fullName, fields: fields, isMapEntry: proto.options.mapEntry,
            descriptorProto: proto)
        if columns == nil { compiled[fullName] = descriptor }
        return descriptor
    }

    /// The columns of the message a struct, array-of-struct or map column compiles to.
    private func nestedColumns(of columnType: ColumnType?) -> [Column]? {
        switch columnType {
        case .struct(let members)?: members
        case .map(let key, let value)?:
            [Column(name: "key", type: key), Column(name: "value", type: value)]
        default: nil
        }
    }
}
