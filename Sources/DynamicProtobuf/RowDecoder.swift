extension MessageDescriptor {
    /// Decodes bytes of this message into a row aligned with `fields`.
    ///
    /// Lenient where protobuf parsers are: unknown fields are skipped, packed repeated scalars
    /// are accepted, a repeated singular field keeps its last value, and missing required fields
    /// are left nil (so quarantined rows can still be shown). Absent repeated and map fields are
    /// nil. Integers come back as `.int`, float as `.float`, double as `.double`.
    public func decode(_ bytes: [UInt8]) throws(ProtoDecodingError) -> [ProtoValue?] {
        try bytes.withUnsafeBufferPointer { (buffer: UnsafeBufferPointer<UInt8>) throws(ProtoDecodingError) in
            var reader = WireReader(buffer: buffer, position: 0, end: buffer.count)
            return try decodeMessage(&reader)
        }
    }

    func decodeMessage(_ reader: inout WireReader) throws(ProtoDecodingError) -> [ProtoValue?] {
        var row = [ProtoValue?](repeating: nil, count: fields.count)
        var expected = 0  // fields usually arrive in declaration order; try that position first
        while !reader.isAtEnd {
            let tagPosition = reader.position
            let tag = try reader.readVarint()
            guard let wireType = WireType(rawValue: UInt32(tag & 7)), tag >> 3 > 0 else {
                throw ProtoDecodingError(offset: tagPosition, reason: "invalid tag \(tag)")
            }
            let number = tag >> 3
            guard let position = position(ofNumber: number, hint: expected) else {
                try reader.skip(wireType, tagOffset: tagPosition)
                continue
            }
            expected = position
            let field = fields[position]
            if field.isMap, let entry = field.message {
                guard wireType == .lengthDelimited else { throw reader.wrongWireType(wireType, for: field, at: tagPosition) }
                var entryReader = try reader.subReader()
                let values = try entry.decodeMessage(&entryReader)
                let item = ProtoValue.MapEntry(
                    key: values[0] ?? entry.fields[0].defaultValue, value: values[1] ?? entry.fields[1].defaultValue)
                var entries: [ProtoValue.MapEntry] = []
                if case .map(let existing)? = row[position] { entries = existing }
                row[position] = nil  // drop the old reference so `entries` grows in place
                entries.append(item)
                row[position] = .map(entries)
            } else if field.label == .repeated {
                var elements: [ProtoValue] = []
                if case .list(let existing)? = row[position] { elements = existing }
                row[position] = nil
                if wireType == .lengthDelimited, field.type.wireType != .lengthDelimited {
                    var packed = try reader.subReader()
                    while !packed.isAtEnd { elements.append(try packed.readValue(of: field, wireType: field.type.wireType)) }
                } else {
                    guard wireType == field.type.wireType else { throw reader.wrongWireType(wireType, for: field, at: tagPosition) }
                    elements.append(try reader.readValue(of: field, wireType: wireType))
                }
                row[position] = elements.isEmpty ? nil : .list(elements)
            } else {
                guard wireType == field.type.wireType else { throw reader.wrongWireType(wireType, for: field, at: tagPosition) }
                row[position] = try reader.readValue(of: field, wireType: wireType)
            }
        }
        return row
    }

    /// Position of the field with `number`: the hinted position or the next one when fields come
    /// in order, otherwise a search.
    private func position(ofNumber number: UInt64, hint: Int) -> Int? {
        if hint < fields.count, UInt64(fields[hint].number) == number { return hint }
        if hint + 1 < fields.count, UInt64(fields[hint + 1].number) == number { return hint + 1 }
        return fields.firstIndex { UInt64($0.number) == number }
    }
}

extension FieldDescriptor {
    /// The value protobuf assumes for an absent map key or value.
    var defaultValue: ProtoValue {
        switch type {
        case .double: .double(0)
        case .float: .float(0)
        case .bool: .bool(false)
        case .string: .string("")
        case .bytes: .bytes([])
        case .message: .message([ProtoValue?](repeating: nil, count: message?.fields.count ?? 0))
        case .enumeration: .int(Int64(enumValues.first ?? 0))
        default: .int(0)
        }
    }
}

/// Reads protobuf primitives from a byte buffer, bounds-checked.
struct WireReader {
    let buffer: UnsafeBufferPointer<UInt8>
    private(set) var position: Int
    let end: Int

    init(buffer: UnsafeBufferPointer<UInt8>, position: Int, end: Int) {
        self.buffer = buffer
        self.position = position
        self.end = end
    }

    var isAtEnd: Bool { position >= end }

    mutating func readVarint() throws(ProtoDecodingError) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < end {
            let byte = buffer[position]
            position += 1
            if shift == 63, byte > 1 { break }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { break }
        }
        throw ProtoDecodingError(offset: start, reason: position >= end ? "truncated varint" : "varint longer than 10 bytes")
    }

    mutating func readLittleEndian(byteCount: Int) throws(ProtoDecodingError) -> UInt64 {
        guard end - position >= byteCount else {
            throw ProtoDecodingError(offset: position, reason: "truncated \(byteCount)-byte value")
        }
        var result: UInt64 = 0
        for offset in 0..<byteCount { result |= UInt64(buffer[position + offset]) << (8 * UInt64(offset)) }
        position += byteCount
        return result
    }

    /// Reads a length prefix and returns a reader over exactly that payload, advancing past it.
    mutating func subReader() throws(ProtoDecodingError) -> WireReader {
        let lengthPosition = position
        let length = try readVarint()
        guard length <= UInt64(end - position) else {
            throw ProtoDecodingError(offset: lengthPosition, reason: "length \(length) runs past the end")
        }
        let sub = WireReader(buffer: buffer, position: position, end: position + Int(length))
        position += Int(length)
        return sub
    }

    mutating func skip(_ wireType: WireType, tagOffset: Int) throws(ProtoDecodingError) {
        switch wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readLittleEndian(byteCount: 8)
        case .fixed32: _ = try readLittleEndian(byteCount: 4)
        case .lengthDelimited: _ = try subReader()
        case .startGroup, .endGroup:
            throw ProtoDecodingError(offset: tagOffset, reason: "groups are not supported")
        }
    }

    func wrongWireType(_ wireType: WireType, for field: FieldDescriptor, at offset: Int) -> ProtoDecodingError {
        ProtoDecodingError(offset: offset, reason: "field \(field.name) (\(field.type)) has wire type \(wireType.rawValue)")
    }

    mutating func readValue(of field: FieldDescriptor, wireType: WireType) throws(ProtoDecodingError) -> ProtoValue {
        let start = position
        switch field.type {
        case .int32, .enumeration: return .int(Int64(Int32(truncatingIfNeeded: try readVarint())))
        case .int64: return .int(Int64(bitPattern: try readVarint()))
        case .uint32: return .int(Int64(UInt32(truncatingIfNeeded: try readVarint())))
        case .uint64: return try nonNegative(try readVarint(), at: start)
        case .sint32: return .int(Int64(Int32(truncatingIfNeeded: unZigZag(try readVarint()))))
        case .sint64: return .int(unZigZag(try readVarint()))
        case .bool: return .bool(try readVarint() != 0)
        case .fixed32: return .int(Int64(try readLittleEndian(byteCount: 4)))
        case .sfixed32: return .int(Int64(Int32(truncatingIfNeeded: try readLittleEndian(byteCount: 4))))
        case .fixed64: return try nonNegative(try readLittleEndian(byteCount: 8), at: start)
        case .sfixed64: return .int(Int64(bitPattern: try readLittleEndian(byteCount: 8)))
        case .float: return .float(Float(bitPattern: UInt32(truncatingIfNeeded: try readLittleEndian(byteCount: 4))))
        case .double: return .double(Double(bitPattern: try readLittleEndian(byteCount: 8)))
        case .bytes:
            let payload = try subReader()
            return .bytes(Array(payload.buffer[payload.position..<payload.end]))
        case .string:
            let payload = try subReader()
            guard let text = String(validating: payload.buffer[payload.position..<payload.end], as: UTF8.self) else {
                throw ProtoDecodingError(offset: start, reason: "field \(field.name) is not valid UTF-8")
            }
            return .string(text)
        case .message:
            var payload = try subReader()
            guard let nested = field.message else {
                throw ProtoDecodingError(offset: start, reason: "field \(field.name) has no message type")
            }
            return .message(try nested.decodeMessage(&payload))
        }
    }

    /// uint64/fixed64 values are carried as `Int64`; larger ones cannot be represented.
    private func nonNegative(_ value: UInt64, at offset: Int) throws(ProtoDecodingError) -> ProtoValue {
        guard value <= UInt64(Int64.max) else {
            throw ProtoDecodingError(offset: offset, reason: "unsigned value \(value) does not fit Int64")
        }
        return .int(Int64(value))
    }
}
