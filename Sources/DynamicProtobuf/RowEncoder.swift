extension MessageDescriptor {
    /// Encodes one row (values aligned with `fields`, nil = absent) in proto2 wire format.
    ///
    /// Repeated scalars are written unpacked (the proto2 default), maps as repeated entry
    /// messages with both key and value written. Accepted values per field type:
    /// integers and enums take `.int` (range-checked, also against tinyint/smallint columns);
    /// float and double take `.float`, `.double` or `.int`; bool `.bool`; string `.string`;
    /// bytes `.bytes` or `.string` (its UTF-8); messages `.message`; repeated fields `.list`;
    /// maps `.map`. Anything else, a missing required field or a wrong value count throws an
    /// `EncodingError` naming the field path.
    public func encode(_ row: [ProtoValue?]) throws(EncodingError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(32 + fields.count * 12)
        try encode(row, appendingTo: &output)
        return output
    }

    /// Like `encode(_:)`, appending to `output` so a caller can reuse one buffer for many rows.
    public func encode(_ row: [ProtoValue?], appendingTo output: inout [UInt8]) throws(EncodingError) {
        guard row.count == fields.count else {
            throw EncodingError(fieldPath: name, reason: .wrongValueCount(expected: fields.count, got: row.count))
        }
        try encodeFields(row, into: &output)
    }

    private func encodeFields(_ row: [ProtoValue?], into output: inout [UInt8]) throws(EncodingError) {
        for position in fields.indices {
            let field = fields[position]
            guard let value = row[position] else {
                if field.label == .required {
                    throw EncodingError(fieldPath: field.name, reason: .missingRequired)
                }
                continue
            }
            if field.isMap {
                try field.encodeMap(value, into: &output)
            } else if field.label == .repeated {
                guard case .list(let elements) = value else {
                    throw EncodingError(
                        fieldPath: field.name,
                        reason: .typeMismatch(expected: "list of \(field.valueTypeName)", got: value.kindName))
                }
                for (elementIndex, element) in elements.enumerated() {
                    do throws(EncodingError) {
                        try field.encodeSingle(element, into: &output)
                    } catch {
                        throw error.nested(under: "\(field.name)[\(elementIndex)]")
                    }
                }
            } else {
                do throws(EncodingError) {
                    try field.encodeSingle(value, into: &output)
                } catch {
                    throw error.nested(under: field.name)
                }
            }
        }
    }

    /// Encodes the body of a nested message (no tag, no length).
    fileprivate func encodeNested(_ value: ProtoValue, into output: inout [UInt8]) throws(EncodingError) {
        guard case .message(let values) = value else {
            throw EncodingError(fieldPath: "", reason: .typeMismatch(expected: "message \(name)", got: value.kindName))
        }
        guard values.count == fields.count else {
            throw EncodingError(fieldPath: "", reason: .wrongValueCount(expected: fields.count, got: values.count))
        }
        try encodeFields(values, into: &output)
    }
}

extension FieldDescriptor {
    /// Tag plus one value. Errors carry an empty path; the caller prefixes the field's name.
    @inline(__always)
    fileprivate func encodeSingle(_ value: ProtoValue, into output: inout [UInt8]) throws(EncodingError) {
        output.appendTag(tag)
        switch type {
        case .int32, .int64, .uint32, .uint64, .enumeration:
            // Negative int32/enum values are sign-extended to 10 bytes, as protobuf requires.
            output.appendVarint(UInt64(bitPattern: try checkedInteger(value)))
        case .sint32, .sint64:
            output.appendVarint(zigZag(try checkedInteger(value)))
        case .fixed32, .sfixed32:
            output.appendLittleEndian32(UInt32(truncatingIfNeeded: try checkedInteger(value)))
        case .fixed64, .sfixed64:
            output.appendLittleEndian64(UInt64(bitPattern: try checkedInteger(value)))
        case .bool:
            guard case .bool(let flag) = value else { throw mismatch(value) }
            output.append(flag ? 1 : 0)
        case .double:
            let number: Double
            switch value {
            case .double(let double): number = double
            case .float(let float): number = Double(float)
            case .int(let int): number = Double(int)
            default: throw mismatch(value)
            }
            output.appendLittleEndian64(number.bitPattern)
        case .float:
            let number: Float
            switch value {
            case .float(let float): number = float
            case .double(let double):
                number = Float(double)
                if number.isInfinite, double.isFinite {
                    throw EncodingError(fieldPath: "", reason: .outOfRange(value: "\(double)", type: "float"))
                }
            case .int(let int): number = Float(int)
            default: throw mismatch(value)
            }
            output.appendLittleEndian32(number.bitPattern)
        case .string:
            guard case .string(let text) = value else { throw mismatch(value) }
            output.appendVarint(UInt64(text.utf8.count))
            output.append(contentsOf: text.utf8)
        case .bytes:
            switch value {
            case .bytes(let bytes):
                output.appendVarint(UInt64(bytes.count))
                output.append(contentsOf: bytes)
            case .string(let text):
                output.appendVarint(UInt64(text.utf8.count))
                output.append(contentsOf: text.utf8)
            default: throw mismatch(value)
            }
        case .message:
            // `message` is non-nil for every `.message` field (checked when compiling).
            guard let nested = message else { throw mismatch(value) }
            try output.appendLengthDelimited { (buffer: inout [UInt8]) throws(EncodingError) in
                try nested.encodeNested(value, into: &buffer)
            }
        }
    }

    fileprivate func encodeMap(_ value: ProtoValue, into output: inout [UInt8]) throws(EncodingError) {
        guard case .map(let entries) = value, let entry = message else {
            throw EncodingError(
                fieldPath: name,
                reason: .typeMismatch(expected: "map<\(message?.fields[0].valueTypeName ?? "?"),"
                    + "\(message?.fields[1].valueTypeName ?? "?")>", got: value.kindName))
        }
        let keyField = entry.fields[0]
        let valueField = entry.fields[1]
        for (entryIndex, item) in entries.enumerated() {
            output.appendTag(tag)
            do throws(EncodingError) {
                try output.appendLengthDelimited { (buffer: inout [UInt8]) throws(EncodingError) in
                    do throws(EncodingError) {
                        try keyField.encodeSingle(item.key, into: &buffer)
                    } catch {
                        throw error.nested(under: keyField.name)
                    }
                    do throws(EncodingError) {
                        try valueField.encodeSingle(item.value, into: &buffer)
                    } catch {
                        throw error.nested(under: valueField.name)
                    }
                }
            } catch {
                throw error.nested(under: "\(name)[\(entryIndex)]")
            }
        }
    }

    @inline(__always)
    private func checkedInteger(_ value: ProtoValue) throws(EncodingError) -> Int64 {
        guard case .int(let integer) = value else { throw mismatch(value) }
        guard integer >= minInteger, integer <= maxInteger else {
            throw EncodingError(
                fieldPath: "", reason: .outOfRange(value: "\(integer)", type: type.displayName(for: columnType)))
        }
        if type == .enumeration, !enumValues.isEmpty, !enumValues.contains(Int32(truncatingIfNeeded: integer)) {
            throw EncodingError(fieldPath: "", reason: .unknownEnumValue(integer, enumName: enumName ?? "?"))
        }
        return integer
    }

    private func mismatch(_ value: ProtoValue) -> EncodingError {
        EncodingError(fieldPath: "", reason: .typeMismatch(expected: valueTypeName, got: value.kindName))
    }

    /// What one value of this field is called in errors: `int32`, `tinyint`, `message Inner`.
    var valueTypeName: String {
        switch type {
        case .message: "message \(message?.name ?? "?")"
        case .enumeration: "enum \(enumName.map(shortName) ?? "?")"
        default: type.displayName(for: columnType)
        }
    }
}

extension ProtoValue {
    /// The case name, for error messages.
    public var kindName: String {
        switch self {
        case .int: "int"
        case .float: "float"
        case .double: "double"
        case .bool: "bool"
        case .string: "string"
        case .bytes: "bytes"
        case .list: "list"
        case .map: "map"
        case .message: "message"
        }
    }
}
