import EdgeSupport
/// Decoding of `sparkplug_b.proto` with `ProtobufWireReader`. Written from the .proto's field
/// numbers and types; strings must be UTF-8 (protobuf's rule), nesting (templates in metrics in
/// templates, property sets in property sets) is limited so hostile input cannot exhaust the stack.
extension SparkplugPayload {
    typealias Malformed = ProtobufWireReader.Malformed

    /// Deeper nesting than any real edge node sends (UDT instances nest a few levels).
    static let maxNesting = 32

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(Malformed) -> SparkplugPayload {
        var reader = ProtobufWireReader(bytes)
        var payload = SparkplugPayload()
        while let field = try reader.nextField() {
            switch field.number {
            case 1: payload.timestamp = try Self.uint64(&reader, field.wireType, "Payload.timestamp")
            case 2: payload.metrics.append(try SparkplugMetric.decode(try Self.message(&reader, field.wireType, "Payload.metrics"), depth: 1))
            case 3: payload.seq = try Self.uint64(&reader, field.wireType, "Payload.seq")
            case 4: payload.uuid = try Self.string(&reader, field.wireType, "Payload.uuid")
            case 5: payload.body = Array(try Self.message(&reader, field.wireType, "Payload.body"))
            default: try reader.skip(field.wireType, number: field.number)
            }
        }
        return payload
    }

    // MARK: Scalars

    static func uint64(_ reader: inout ProtobufWireReader, _ wireType: ProtobufWireReader.WireType, _ field: String) throws(Malformed) -> UInt64 {
        try ProtobufWireReader.expect(wireType, .varint, field: field)
        return try reader.varint()
    }

    static func uint32(_ reader: inout ProtobufWireReader, _ wireType: ProtobufWireReader.WireType, _ field: String) throws(Malformed) -> UInt32 {
        // A uint32 is a varint; protobuf parsers keep its low 32 bits.
        UInt32(truncatingIfNeeded: try uint64(&reader, wireType, field))
    }

    static func bool(_ reader: inout ProtobufWireReader, _ wireType: ProtobufWireReader.WireType, _ field: String) throws(Malformed) -> Bool {
        try uint64(&reader, wireType, field) != 0
    }

    static func message(
        _ reader: inout ProtobufWireReader, _ wireType: ProtobufWireReader.WireType, _ field: String
    ) throws(Malformed) -> UnsafeBufferPointer<UInt8> {
        try ProtobufWireReader.expect(wireType, .lengthDelimited, field: field)
        return try reader.lengthDelimited()
    }

    static func string(_ reader: inout ProtobufWireReader, _ wireType: ProtobufWireReader.WireType, _ field: String) throws(Malformed) -> String {
        guard let text = UTF8Validation.string(try message(&reader, wireType, field)) else {
            throw Malformed(reason: "field \(field) is not valid UTF-8")
        }
        return text
    }

    /// The members of the value oneofs shared (with different field numbers) by Metric,
    /// PropertyValue, DataSetValue and Template.Parameter: `first` is the number of `int_value`.
    static func scalarValue(
        _ reader: inout ProtobufWireReader, _ field: (number: UInt64, wireType: ProtobufWireReader.WireType), first: UInt64,
        _ name: String
    ) throws(Malformed) -> SparkplugWireValue? {
        switch field.number - first {
        case 0: return .int(try uint32(&reader, field.wireType, name + ".int_value"))
        case 1: return .long(try uint64(&reader, field.wireType, name + ".long_value"))
        case 2:
            try ProtobufWireReader.expect(field.wireType, .fixed32, field: name + ".float_value")
            return .float(Float(bitPattern: try reader.fixed32()))
        case 3:
            try ProtobufWireReader.expect(field.wireType, .fixed64, field: name + ".double_value")
            return .double(Double(bitPattern: try reader.fixed64()))
        case 4: return .boolean(try bool(&reader, field.wireType, name + ".boolean_value"))
        case 5: return .string(try string(&reader, field.wireType, name + ".string_value"))
        default: return nil
        }
    }

    static func checkNesting(_ depth: Int) throws(Malformed) {
        guard depth <= maxNesting else { throw Malformed(reason: "nested deeper than \(maxNesting) levels") }
    }
}

extension SparkplugMetric {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, depth: Int) throws(SparkplugPayload.Malformed) -> SparkplugMetric {
        try SparkplugPayload.checkNesting(depth)
        typealias P = SparkplugPayload
        var reader = ProtobufWireReader(bytes)
        var metric = SparkplugMetric()
        while let field = try reader.nextField() {
            switch field.number {
            case 1: metric.name = try P.string(&reader, field.wireType, "Metric.name")
            case 2: metric.alias = try P.uint64(&reader, field.wireType, "Metric.alias")
            case 3: metric.timestamp = try P.uint64(&reader, field.wireType, "Metric.timestamp")
            case 4: metric.datatype = try P.uint32(&reader, field.wireType, "Metric.datatype")
            case 5: metric.isHistorical = try P.bool(&reader, field.wireType, "Metric.is_historical")
            case 6: metric.isTransient = try P.bool(&reader, field.wireType, "Metric.is_transient")
            case 7: metric.isNull = try P.bool(&reader, field.wireType, "Metric.is_null")
            case 8: metric.metadata = try SparkplugMetaData.decode(try P.message(&reader, field.wireType, "Metric.metadata"))
            case 9:
                metric.properties = try SparkplugPropertySet.decode(
                    try P.message(&reader, field.wireType, "Metric.properties"), depth: depth + 1)
            case 10...15: metric.value = try P.scalarValue(&reader, field, first: 10, "Metric")
            case 16: metric.value = .bytes(Array(try P.message(&reader, field.wireType, "Metric.bytes_value")))
            case 17:
                metric.value = .dataSet(try SparkplugDataSet.decode(
                    try P.message(&reader, field.wireType, "Metric.dataset_value"), depth: depth + 1))
            case 18:
                metric.value = .template(try SparkplugTemplate.decode(
                    try P.message(&reader, field.wireType, "Metric.template_value"), depth: depth + 1))
            case 19:
                try reader.skip(field.wireType, number: field.number)
                metric.value = .extension
            default: try reader.skip(field.wireType, number: field.number)
            }
        }
        return metric
    }
}

extension SparkplugMetaData {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(SparkplugPayload.Malformed) -> SparkplugMetaData {
        typealias P = SparkplugPayload
        var reader = ProtobufWireReader(bytes)
        var metadata = SparkplugMetaData()
        while let field = try reader.nextField() {
            switch field.number {
            case 1: metadata.isMultiPart = try P.bool(&reader, field.wireType, "MetaData.is_multi_part")
            case 2: metadata.contentType = try P.string(&reader, field.wireType, "MetaData.content_type")
            case 3: metadata.size = try P.uint64(&reader, field.wireType, "MetaData.size")
            case 4: metadata.seq = try P.uint64(&reader, field.wireType, "MetaData.seq")
            case 5: metadata.fileName = try P.string(&reader, field.wireType, "MetaData.file_name")
            case 6: metadata.fileType = try P.string(&reader, field.wireType, "MetaData.file_type")
            case 7: metadata.md5 = try P.string(&reader, field.wireType, "MetaData.md5")
            case 8: metadata.description = try P.string(&reader, field.wireType, "MetaData.description")
            default: try reader.skip(field.wireType, number: field.number)
            }
        }
        return metadata
    }
}

extension SparkplugPropertySet {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, depth: Int) throws(SparkplugPayload.Malformed) -> SparkplugPropertySet {
        try SparkplugPayload.checkNesting(depth)
        typealias P = SparkplugPayload
        var reader = ProtobufWireReader(bytes)
        var set = SparkplugPropertySet()
        while let field = try reader.nextField() {
            switch field.number {
            case 1: set.keys.append(try P.string(&reader, field.wireType, "PropertySet.keys"))
            case 2:
                set.values.append(try SparkplugPropertyValue.decode(
                    try P.message(&reader, field.wireType, "PropertySet.values"), depth: depth + 1))
            default: try reader.skip(field.wireType, number: field.number)
            }
        }
        return set
    }
}

extension SparkplugPropertyValue {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, depth: Int) throws(SparkplugPayload.Malformed) -> SparkplugPropertyValue {
        try SparkplugPayload.checkNesting(depth)
        typealias P = SparkplugPayload
        var reader = ProtobufWireReader(bytes)
        var property = SparkplugPropertyValue()
        while let field = try reader.nextField() {
            switch field.number {
            case 1: property.type = try P.uint32(&reader, field.wireType, "PropertyValue.type")
            case 2: property.isNull = try P.bool(&reader, field.wireType, "PropertyValue.is_null")
            case 3...8: property.value = try P.scalarValue(&reader, field, first: 3, "PropertyValue")
            case 9:
                property.value = .propertySet(try SparkplugPropertySet.decode(
                    try P.message(&reader, field.wireType, "PropertyValue.propertyset_value"), depth: depth + 1))
            case 10:
                var list = ProtobufWireReader(try P.message(&reader, field.wireType, "PropertyValue.propertysets_value"))
                var sets: [SparkplugPropertySet] = []
                while let item = try list.nextField() {
                    guard item.number == 1 else {
                        try list.skip(item.wireType, number: item.number)
                        continue
                    }
                    sets.append(try SparkplugPropertySet.decode(
                        try P.message(&list, item.wireType, "PropertySetList.propertyset"), depth: depth + 1))
                }
                property.value = .propertySetList(sets)
            case 11:
                try reader.skip(field.wireType, number: field.number)
                property.value = .extension
            default: try reader.skip(field.wireType, number: field.number)
            }
        }
        return property
    }
}
