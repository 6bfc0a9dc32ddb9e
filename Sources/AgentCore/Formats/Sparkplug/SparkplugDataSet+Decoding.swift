extension SparkplugDataSet {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, depth: Int) throws(SparkplugPayload.Malformed) -> SparkplugDataSet {
        try SparkplugPayload.checkNesting(depth)
        typealias P = SparkplugPayload
        var reader = ProtobufWireReader(bytes)
        var dataSet = SparkplugDataSet()
        while let field = try reader.nextField() {
            switch field.number {
            case 1: dataSet.columnCount = try P.uint64(&reader, field.wireType, "DataSet.num_of_columns")
            case 2: dataSet.columns.append(try P.string(&reader, field.wireType, "DataSet.columns"))
            case 3:
                // proto2 repeated scalars are unpacked by default, but parsers must accept both.
                if field.wireType == .lengthDelimited {
                    var packed = ProtobufWireReader(try reader.lengthDelimited())
                    while !packed.isAtEnd { dataSet.types.append(UInt32(truncatingIfNeeded: try packed.varint())) }
                } else {
                    dataSet.types.append(try P.uint32(&reader, field.wireType, "DataSet.types"))
                }
            case 4: dataSet.rows.append(try decodeRow(try P.message(&reader, field.wireType, "DataSet.rows")))
            default: try reader.skip(field.wireType, number: field.number)
            }
        }
        return dataSet
    }

    private static func decodeRow(_ bytes: UnsafeBufferPointer<UInt8>) throws(SparkplugPayload.Malformed) -> [SparkplugWireValue?] {
        typealias P = SparkplugPayload
        var reader = ProtobufWireReader(bytes)
        var elements: [SparkplugWireValue?] = []
        while let field = try reader.nextField() {
            guard field.number == 1 else {
                try reader.skip(field.wireType, number: field.number)
                continue
            }
            var element = ProtobufWireReader(try P.message(&reader, field.wireType, "DataSet.Row.elements"))
            var value: SparkplugWireValue?
            while let member = try element.nextField() {
                switch member.number {
                case 1...6: value = try P.scalarValue(&element, member, first: 1, "DataSetValue")
                case 7:
                    try element.skip(member.wireType, number: member.number)
                    value = .extension
                default: try element.skip(member.wireType, number: member.number)
                }
            }
            elements.append(value)
        }
        return elements
    }
}

extension SparkplugTemplate {
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, depth: Int) throws(SparkplugPayload.Malformed) -> SparkplugTemplate {
        try SparkplugPayload.checkNesting(depth)
        typealias P = SparkplugPayload
        var reader = ProtobufWireReader(bytes)
        var template = SparkplugTemplate()
        while let field = try reader.nextField() {
            switch field.number {
            case 1: template.version = try P.string(&reader, field.wireType, "Template.version")
            case 2:
                template.metrics.append(try SparkplugMetric.decode(
                    try P.message(&reader, field.wireType, "Template.metrics"), depth: depth + 1))
            case 3: template.parameters.append(try decodeParameter(try P.message(&reader, field.wireType, "Template.parameters")))
            case 4: template.templateRef = try P.string(&reader, field.wireType, "Template.template_ref")
            case 5: template.isDefinition = try P.bool(&reader, field.wireType, "Template.is_definition")
            default: try reader.skip(field.wireType, number: field.number)
            }
        }
        return template
    }

    private static func decodeParameter(_ bytes: UnsafeBufferPointer<UInt8>) throws(SparkplugPayload.Malformed) -> Parameter {
        typealias P = SparkplugPayload
        var reader = ProtobufWireReader(bytes)
        var parameter = Parameter()
        while let field = try reader.nextField() {
            switch field.number {
            case 1: parameter.name = try P.string(&reader, field.wireType, "Parameter.name")
            case 2: parameter.type = try P.uint32(&reader, field.wireType, "Parameter.type")
            case 3...8: parameter.value = try P.scalarValue(&reader, field, first: 3, "Parameter")
            case 9:
                try reader.skip(field.wireType, number: field.number)
                parameter.value = .extension
            default: try reader.skip(field.wireType, number: field.number)
            }
        }
        return parameter
    }
}
