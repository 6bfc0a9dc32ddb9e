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
        try plans.withUnsafeBufferPointer { (plans: UnsafeBufferPointer<FieldPlan>) throws(EncodingError) in
            for position in plans.indices {
                guard let value = row[position] else {
                    if plans[position].label == .required {
                        throw EncodingError(fieldPath: fields[position].name, reason: .missingRequired)
                    }
                    continue
                }
                try plans[position].encodeField(value, into: &output, owner: self)
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

/// Hot path. `owner` is the message the plan belongs to; it is only consulted to name fields
/// in errors.
extension FieldPlan {
    /// Every value of a present field: one for singular fields, one per element or entry otherwise.
    @inline(__always)
    fileprivate func encodeField(
        _ value: ProtoValue, into output: inout [UInt8], owner: MessageDescriptor
    ) throws(EncodingError) {
        if isMap {
            try encodeMap(value, into: &output, owner: owner)
        } else if label == .repeated {
            guard case .list(let elements) = value else {
                let field = owner.fields[position]
                throw EncodingError(
                    fieldPath: field.name,
                    reason: .typeMismatch(expected: "list of \(field.valueTypeName)", got: value.kindName))
            }
            for elementIndex in elements.indices {
                do throws(EncodingError) {
                    try encodeSingle(elements[elementIndex], into: &output, owner: owner)
                } catch {
                    throw error.nested(under: "\(owner.fields[position].name)[\(elementIndex)]")
                }
            }
        } else {
            do throws(EncodingError) {
                try encodeSingle(value, into: &output, owner: owner)
            } catch {
                throw error.nested(under: owner.fields[position].name)
            }
        }
    }

    /// Tag plus one value. Errors carry an empty path; the caller prefixes the field's name.
    @inline(__always)
    fileprivate func encodeSingle(
        _ value: ProtoValue, into output: inout [UInt8], owner: MessageDescriptor
    ) throws(EncodingError) {
        output.appendTag(tag)
        switch type {
        case .int32, .int64, .uint32, .uint64, .enumeration:
            // Negative int32/enum values are sign-extended to 10 bytes, as protobuf requires.
            output.appendVarint(UInt64(bitPattern: try checkedInteger(value, owner: owner)))
        case .sint32, .sint64:
            output.appendVarint(zigZag(try checkedInteger(value, owner: owner)))
        case .fixed32, .sfixed32:
            output.appendLittleEndian32(UInt32(truncatingIfNeeded: try checkedInteger(value, owner: owner)))
        case .fixed64, .sfixed64:
            output.appendLittleEndian64(UInt64(bitPattern: try checkedInteger(value, owner: owner)))
        case .bool:
            guard case .bool(let flag) = value else { throw mismatch(value, owner: owner) }
            output.append(flag ? 1 : 0)
        case .double:
            let number: Double
            switch value {
            case .double(let double): number = double
            case .float(let float): number = Double(float)
            case .int(let int): number = Double(int)
            default: throw mismatch(value, owner: owner)
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
            default: throw mismatch(value, owner: owner)
            }
            output.appendLittleEndian32(number.bitPattern)
        case .string:
            guard case .string(let text) = value else { throw mismatch(value, owner: owner) }
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
            default: throw mismatch(value, owner: owner)
            }
        case .message:
            // `message` is non-nil for every `.message` field (checked when compiling).
            guard let nested = message else { throw mismatch(value, owner: owner) }
            try output.appendLengthDelimited { (buffer: inout [UInt8]) throws(EncodingError) in
                try nested.encodeNested(value, into: &buffer)
            }
        }
    }

    fileprivate func encodeMap(
        _ value: ProtoValue, into output: inout [UInt8], owner: MessageDescriptor
    ) throws(EncodingError) {
        guard case .map(let entries) = value, let entry = message else {
            let field = owner.fields[position]
            let entryFields = field.message?.fields
            throw EncodingError(
                fieldPath: field.name,
                reason: .typeMismatch(expected: "map<\(entryFields?[0].valueTypeName ?? "?"),"
                    + "\(entryFields?[1].valueTypeName ?? "?")>", got: value.kindName))
        }
        for entryIndex in entries.indices {
            output.appendTag(tag)
            do throws(EncodingError) {
                try output.appendLengthDelimited { (buffer: inout [UInt8]) throws(EncodingError) in
                    try entry.plans.withUnsafeBufferPointer {
                        (keyAndValue: UnsafeBufferPointer<FieldPlan>) throws(EncodingError) in
                        do throws(EncodingError) {
                            try keyAndValue[0].encodeSingle(entries[entryIndex].key, into: &buffer, owner: entry)
                        } catch {
                            throw error.nested(under: entry.fields[0].name)
                        }
                        do throws(EncodingError) {
                            try keyAndValue[1].encodeSingle(entries[entryIndex].value, into: &buffer, owner: entry)
                        } catch {
                            throw error.nested(under: entry.fields[1].name)
                        }
                    }
                }
            } catch {
                throw error.nested(under: "\(owner.fields[position].name)[\(entryIndex)]")
            }
        }
    }

    @inline(__always)
    private func checkedInteger(_ value: ProtoValue, owner: MessageDescriptor) throws(EncodingError) -> Int64 {
        guard case .int(let integer) = value else { throw mismatch(value, owner: owner) }
        guard integer >= minInteger, integer <= maxInteger else {
            let field = owner.fields[position]
            throw EncodingError(
                fieldPath: "", reason: .outOfRange(value: "\(integer)", type: type.displayName(for: field.columnType)))
        }
        if checksEnumValues {
            let field = owner.fields[position]
            if !field.enumValues.contains(Int32(truncatingIfNeeded: integer)) {
                throw EncodingError(fieldPath: "", reason: .unknownEnumValue(integer, enumName: field.enumName ?? "?"))
            }
        }
        return integer
    }

    private func mismatch(_ value: ProtoValue, owner: MessageDescriptor) -> EncodingError {
        EncodingError(
            fieldPath: "", reason: .typeMismatch(expected: owner.fields[position].valueTypeName, got: value.kindName))
    }
}

extension FieldDescriptor {
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
