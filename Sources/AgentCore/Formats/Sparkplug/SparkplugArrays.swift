import EdgeSupport
/// The Sparkplug 3.0 array datatypes, which travel in `bytes_value`: fixed-width little-endian
/// elements; BooleanArray as a 4-byte little-endian count then the bits, most significant bit of
/// each byte first; StringArray as NUL-terminated UTF-8 strings; DateTimeArray as 8-byte ms.
enum SparkplugArrays {
    /// The elements as a JSON array, or nil when `datatype` is not an array type (then the
    /// bytes are Bytes/File/unknown). Throws when the length does not fit the element size.
    static func decode(_ bytes: [UInt8], datatype: SparkplugDataType) throws(ProtobufWireReader.Malformed) -> JSONValue? {
        switch datatype {
        case .int8Array: return try fixed(bytes, width: 1, datatype, element: .int8)
        case .int16Array: return try fixed(bytes, width: 2, datatype, element: .int16)
        case .int32Array: return try fixed(bytes, width: 4, datatype, element: .int32)
        case .int64Array: return try fixed(bytes, width: 8, datatype, element: .int64)
        case .uint8Array: return try fixed(bytes, width: 1, datatype, element: .uint8)
        case .uint16Array: return try fixed(bytes, width: 2, datatype, element: .uint16)
        case .uint32Array: return try fixed(bytes, width: 4, datatype, element: .uint32)
        case .uint64Array, .dateTimeArray: return try fixed(bytes, width: 8, datatype, element: .uint64)
        case .floatArray:
            return try fixed(bytes, width: 4, datatype, element: .unknown) { raw in
                SparkplugValues.json(.float(Float(bitPattern: UInt32(truncatingIfNeeded: raw))))
            }
        case .doubleArray:
            return try fixed(bytes, width: 8, datatype, element: .unknown) { raw in
                SparkplugValues.json(.double(Double(bitPattern: raw)))
            }
        case .booleanArray: return try booleans(bytes)
        case .stringArray: return try strings(bytes)
        default: return nil
        }
    }

    private static func fixed(
        _ bytes: [UInt8], width: Int, _ datatype: SparkplugDataType, element elementType: SparkplugDataType,
        transform: ((UInt64) -> JSONValue)? = nil
    ) throws(ProtobufWireReader.Malformed) -> JSONValue {
        guard bytes.count % width == 0 else {
            throw .init(reason: "\(datatype.name) of \(bytes.count) bytes is not a whole number of \(width)-byte elements")
        }
        var items: [JSONValue] = []
        items.reserveCapacity(bytes.count / width)
        var index = 0
        while index < bytes.count {
            var raw: UInt64 = 0
            for offset in 0..<width { raw |= UInt64(bytes[index + offset]) << (8 * UInt64(offset)) }
            items.append(transform?(raw) ?? SparkplugValues.integer(raw, datatype: elementType))
            index += width
        }
        return .array(items)
    }

    private static func booleans(_ bytes: [UInt8]) throws(ProtobufWireReader.Malformed) -> JSONValue {
        guard bytes.count >= 4 else { throw .init(reason: "BooleanArray of \(bytes.count) bytes has no count") }
        let count = Int(UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
        guard (count + 7) / 8 <= bytes.count - 4 else {
            throw .init(reason: "BooleanArray of \(count) values in \(bytes.count - 4) bytes")
        }
        return .array((0..<count).map { bit in .bool(bytes[4 + bit / 8] & (0x80 >> UInt8(bit % 8)) != 0) })
    }

    private static func strings(_ bytes: [UInt8]) throws(ProtobufWireReader.Malformed) -> JSONValue {
        var items: [JSONValue] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == 0 {
            guard let text = UTF8Validation.string(Array(bytes[start..<index])) else {
                throw .init(reason: "StringArray element \(items.count) is not valid UTF-8")
            }
            items.append(.string(text))
            start = index + 1
        }
        guard start == bytes.count else { throw .init(reason: "StringArray does not end with a NUL byte") }
        return .array(items)
    }
}

extension SparkplugValues {
    /// For array elements, which cannot fail.
    static func json(_ value: SparkplugWireValue) -> JSONValue {
        (try? json(value, datatype: .unknown)) ?? .null
    }
}
