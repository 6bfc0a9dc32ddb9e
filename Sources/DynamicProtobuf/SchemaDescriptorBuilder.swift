import SwiftProtobuf

/// Turns Unity Catalog columns into the `DescriptorProto` Databricks' own generator would write:
/// proto2, structs and map entries nested in the message that uses them, `type_name`s fully
/// qualified.
struct SchemaDescriptorBuilder {
    typealias FieldProto = Google_Protobuf_FieldDescriptorProto

    let package: String

    func rowMessage(named name: String, columns: [Column]) throws(DescriptorError) -> Google_Protobuf_DescriptorProto {
        guard isPlainIdentifier(name) else {
            throw DescriptorError("message name '\(name)' is not a protobuf identifier ([A-Za-z_][A-Za-z0-9_]*)")
        }
        guard package.isEmpty || package.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({
            isPlainIdentifier(String($0))
        }) else {
            throw DescriptorError("package '\(package)' is not a dotted protobuf identifier")
        }
        let fullName = package.isEmpty ? ".\(name)" : ".\(package).\(name)"
        return try message(named: name, fullName: fullName, columns: columns, path: "")
    }

    private func message(
        named name: String, fullName: String, columns: [Column], path: String
    ) throws(DescriptorError) -> Google_Protobuf_DescriptorProto {
        var message = Google_Protobuf_DescriptorProto()
        message.name = name
        if columns.isEmpty { throw DescriptorError("\(path.isEmpty ? name : path): a message needs at least one column") }

        // Every symbol in this message's scope must be unique: field names, and the nested type
        // names. Map entry names are fixed by protobuf (`tags` → `TagsEntry`), so reserve them
        // first; struct messages then pick a free PascalCase name.
        var symbols = Set<String>()
        for column in columns {
            let columnPath = path.isEmpty ? column.name : "\(path).\(column.name)"
            guard isPlainIdentifier(column.name) else {
                throw DescriptorError("\(columnPath): column name is not a protobuf identifier ([A-Za-z_][A-Za-z0-9_]*)")
            }
            guard symbols.insert(column.name).inserted else { throw DescriptorError("\(columnPath): duplicate column") }
        }
        for column in columns where column.type.isMap {
            let entryName = mapEntryName(for: column.name)
            guard symbols.insert(entryName).inserted else {
                throw DescriptorError("\(path.isEmpty ? name : path): two names need the nested type \(entryName)")
            }
        }

        // Build the field list locally: appending through the DescriptorProto's copy-on-write
        // storage one field at a time is quadratic for wide tables.
        var fieldProtos: [FieldProto] = []
        fieldProtos.reserveCapacity(columns.count)
        var number: Int32 = 1
        for column in columns {
            let columnPath = path.isEmpty ? column.name : "\(path).\(column.name)"
            var field = FieldProto()
            field.name = column.name
            field.number = number
            // 19000-19999 are reserved for the protobuf implementation.
            number = number == 18999 ? 20000 : number + 1

            switch column.type {
            case .array(let element):
                field.label = .repeated
                switch element {
                case .array, .map:
                    throw DescriptorError(
                        "\(columnPath): \(column.type) cannot be represented in protobuf; wrap the inner "
                            + "collection in a struct, e.g. array<struct<values:\(element)>>")
                case .struct(let members):
                    try setStruct(&field, members: members, in: &message, parentFullName: fullName,
                                  symbols: &symbols, path: columnPath)
                default:
                    field.type = scalarType(element)
                }
            case .map(let key, let value):
                field.label = .repeated
                field.type = .message
                let entry = try mapEntry(for: column, key: key, value: value, in: &message,
                                         parentFullName: fullName, symbols: &symbols, path: columnPath)
                field.typeName = "\(fullName).\(entry.name)"
                message.nestedType.append(entry)
            case .struct(let members):
                field.label = column.nullable ? .optional : .required
                try setStruct(&field, members: members, in: &message, parentFullName: fullName,
                              symbols: &symbols, path: columnPath)
            default:
                field.label = column.nullable ? .optional : .required
                field.type = scalarType(column.type)
            }
            fieldProtos.append(field)
        }
        message.field = fieldProtos
        return message
    }

    /// Adds a nested message for a struct and points `field` at it.
    private func setStruct(
        _ field: inout FieldProto, members: [Column], in parent: inout Google_Protobuf_DescriptorProto,
        parentFullName: String, symbols: inout Set<String>, path: String, namedAfter columnName: String? = nil
    ) throws(DescriptorError) {
        let structName = uniqueName(pascalCase(columnName ?? field.name), symbols: &symbols)
        let structFullName = "\(parentFullName).\(structName)"
        parent.nestedType.append(try message(named: structName, fullName: structFullName, columns: members, path: path))
        field.type = .message
        field.typeName = structFullName
    }

    private func mapEntry(
        for column: Column, key: ColumnType, value: ColumnType, in parent: inout Google_Protobuf_DescriptorProto,
        parentFullName: String, symbols: inout Set<String>, path: String
    ) throws(DescriptorError) -> Google_Protobuf_DescriptorProto {
        switch key {
        case .string, .int, .bigint, .smallint, .tinyint, .boolean, .date, .timestamp: break
        default:
            throw DescriptorError("\(path): map key type \(key) is not allowed in protobuf (use string or an integer type)")
        }
        var entry = Google_Protobuf_DescriptorProto()
        entry.name = mapEntryName(for: column.name)
        entry.options.mapEntry = true

        var keyField = FieldProto()
        keyField.name = "key"
        keyField.number = 1
        keyField.label = .optional
        keyField.type = scalarType(key)

        var valueField = FieldProto()
        valueField.name = "value"
        valueField.number = 2
        valueField.label = .optional
        switch value {
        case .array, .map:
            throw DescriptorError(
                "\(path): \(column.type) cannot be represented in protobuf (map values cannot be repeated); "
                    + "wrap the value in a struct, e.g. map<\(key),struct<values:\(value)>>")
        case .struct(let members):
            // Like Databricks' generator: the value struct is a sibling of the entry, named after the column.
            try setStruct(&valueField, members: members, in: &parent, parentFullName: parentFullName,
                          symbols: &symbols, path: "\(path).value", namedAfter: column.name)
        default:
            valueField.type = scalarType(value)
        }
        entry.field = [keyField, valueField]
        return entry
    }

    private func scalarType(_ type: ColumnType) -> FieldProto.TypeEnum {
        switch type {
        case .string: .string
        case .int, .smallint, .tinyint, .date: .int32
        case .bigint, .timestamp: .int64
        case .float: .float
        case .double: .double
        case .boolean: .bool
        case .binary: .bytes
        case .array, .map, .struct: .message  // callers handle these before asking
        }
    }
}

/// protoc's name for the entry message of map field `field_name`: `FieldNameEntry`.
/// Protobuf implementations check this name, so it must match exactly.
func mapEntryName(for fieldName: String) -> String {
    pascalCase(fieldName) + "Entry"
}

/// `device_info` → `DeviceInfo`: capitalise the first letter and every letter after `_`.
func pascalCase(_ name: String) -> String {
    var result = ""
    var capitalizeNext = true
    for character in name {
        if character == "_" {
            capitalizeNext = true
        } else if capitalizeNext {
            result += character.uppercased()
            capitalizeNext = false
        } else {
            result.append(character)
        }
    }
    return result
}

private func uniqueName(_ base: String, symbols: inout Set<String>) -> String {
    let stem = base.isEmpty ? "Struct" : base
    var candidate = stem
    var counter = 2
    while symbols.contains(candidate) {
        candidate = "\(stem)\(counter)"
        counter += 1
    }
    symbols.insert(candidate)
    return candidate
}

extension ColumnType {
    var isMap: Bool {
        if case .map = self { return true }
        return false
    }
}
