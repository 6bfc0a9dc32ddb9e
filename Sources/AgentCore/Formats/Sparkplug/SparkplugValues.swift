import EdgeSupport
/// Sparkplug values → JSON values the column types convert (`ValueCoercion`).
///
/// * Int8…Int64: the signed value (two's complement at the type's width, see `signedBits`).
///   UInt8…UInt64: the unsigned value; a UInt64 above Int64.max becomes its exact decimal text
///   (a `string` or `double` column takes it, a `bigint` column refuses it as out of range —
///   rather than a double that would silently round it).
/// * Float: the shortest decimal that reads back as the same float (0.1f → 0.1, not
///   0.10000000149011612), so `double` columns get what the device meant. Double: as is. NaN and
///   ±infinity: the strings `NaN`, `Infinity`, `-Infinity`, which float/double columns convert.
/// * Boolean; String, Text, UUID: as is. DateTime: ms since the epoch (a number; `timestamp`
///   columns read epoch ms). Bytes, File: base64 text (RFC 4648, padded; JSON has no bytes).
/// * Arrays (bytes on the wire, little-endian, Sparkplug 3.0 §6.4.17): a JSON array.
/// * DataSet: `{"columns":[…],"types":[…],"rows":[[…],…]}`. Template: `{"template_ref",
///   "version", "is_definition", "parameters":{name: value}, "metrics":[{name, datatype, value}]}`.
///   A `string` column stores either as compact JSON text.
/// * A value in a member the datatype does not use (e.g. a string for Int32) is mapped by the
///   member it came in; an extension value is null.
enum SparkplugValues {
    typealias Malformed = ProtobufWireReader.Malformed

    static func json(_ value: SparkplugWireValue?, datatype: SparkplugDataType) throws(Malformed) -> JSONValue {
        guard let value else { return .null }
        switch value {
        case .int(let raw): return integer(UInt64(raw), datatype: datatype)
        case .long(let raw): return integer(raw, datatype: datatype)
        case .float(let raw):
            guard raw.isFinite else { return nonFinite(Double(raw)) }
            return .number(JSONNumber(double: Double(String(raw)) ?? Double(raw)))
        case .double(let raw):
            guard raw.isFinite else { return nonFinite(raw) }
            return .number(JSONNumber(double: raw))
        case .boolean(let flag): return .bool(flag)
        case .string(let text): return .string(text)
        case .bytes(let bytes): return try SparkplugArrays.decode(bytes, datatype: datatype) ?? .string(Base64.encode(bytes))
        case .dataSet(let dataSet): return try json(dataSet)
        case .template(let template): return try json(template)
        case .propertySet(let set): return try json(set)
        case .propertySetList(let sets):
            var items: [JSONValue] = []
            for set in sets { items.append(try json(set)) }
            return .array(items)
        case .extension: return .null
        }
    }

    static func integer(_ raw: UInt64, datatype: SparkplugDataType) -> JSONValue {
        if let bits = datatype.signedBits {
            let shift = UInt64(64 - bits)
            return .number(JSONNumber(integer: Int64(bitPattern: raw << shift) >> Int64(shift)))
        }
        if raw <= UInt64(Int64.max) { return .number(JSONNumber(integer: Int64(raw))) }
        return .string(String(raw))
    }

    static func nonFinite(_ value: Double) -> JSONValue {
        .string(value.isNaN ? "NaN" : value > 0 ? "Infinity" : "-Infinity")
    }

    static func json(_ set: SparkplugPropertySet) throws(Malformed) -> JSONValue {
        var members: [JSONObject.Member] = []
        for (index, key) in set.keys.enumerated() {
            let property = index < set.values.count ? set.values[index] : SparkplugPropertyValue(isNull: true)
            let value = property.isNull ? .null : try json(property.value, datatype: SparkplugDataType(wire: property.type))
            members.append(JSONObject.Member(key: key, value: value))
        }
        return .object(JSONObject(members))
    }

    static func json(_ dataSet: SparkplugDataSet) throws(Malformed) -> JSONValue {
        let types = dataSet.types.map { SparkplugDataType(wire: $0) }
        var rows: [JSONValue] = []
        rows.reserveCapacity(dataSet.rows.count)
        for row in dataSet.rows {
            var cells: [JSONValue] = []
            for (index, element) in row.enumerated() {
                cells.append(try json(element, datatype: index < types.count ? types[index] : .unknown))
            }
            rows.append(.array(cells))
        }
        return .object(JSONObject([
            .init(key: "columns", value: .array(dataSet.columns.map(JSONValue.string))),
            .init(key: "types", value: .array(types.map { .string($0.name) })),
            .init(key: "rows", value: .array(rows)),
        ]))
    }

    static func json(_ template: SparkplugTemplate) throws(Malformed) -> JSONValue {
        var members: [JSONObject.Member] = []
        if let ref = template.templateRef { members.append(.init(key: "template_ref", value: .string(ref))) }
        if let version = template.version { members.append(.init(key: "version", value: .string(version))) }
        if let definition = template.isDefinition { members.append(.init(key: "is_definition", value: .bool(definition))) }
        var parameters: [JSONObject.Member] = []
        for parameter in template.parameters {
            let value = try json(parameter.value, datatype: SparkplugDataType(wire: parameter.type))
            parameters.append(.init(key: parameter.name ?? "", value: value))
        }
        members.append(.init(key: "parameters", value: .object(JSONObject(parameters))))
        var metrics: [JSONValue] = []
        for metric in template.metrics {
            let datatype = SparkplugDataType(wire: metric.datatype)
            var fields: [JSONObject.Member] = []
            if let name = metric.name { fields.append(.init(key: "name", value: .string(name))) }
            fields.append(.init(key: "datatype", value: .string(datatype.name)))
            fields.append(.init(key: "value", value: metric.isNull ? .null : try json(metric.value, datatype: datatype)))
            metrics.append(.object(JSONObject(fields)))
        }
        members.append(.init(key: "metrics", value: .array(metrics)))
        return .object(JSONObject(members))
    }
}
