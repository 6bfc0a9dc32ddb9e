/// The Sparkplug B `DataType` enum (its numbers are on the wire; its names go into `$.datatype`).
public enum SparkplugDataType: UInt32, Sendable, Hashable, CaseIterable {
    case unknown = 0
    case int8 = 1, int16, int32, int64, uint8, uint16, uint32, uint64
    case float = 9, double, boolean, string, dateTime, text
    case uuid = 15, dataSet, bytes, file, template
    case propertySet = 20, propertySetList
    case int8Array = 22, int16Array, int32Array, int64Array, uint8Array, uint16Array, uint32Array, uint64Array
    case floatArray = 30, doubleArray, booleanArray, stringArray, dateTimeArray

    /// The name in `sparkplug_b.proto` (`Int8`, `DateTime`, `UInt64Array`, …).
    public var name: String {
        switch self {
        case .unknown: "Unknown"
        case .int8: "Int8"
        case .int16: "Int16"
        case .int32: "Int32"
        case .int64: "Int64"
        case .uint8: "UInt8"
        case .uint16: "UInt16"
        case .uint32: "UInt32"
        case .uint64: "UInt64"
        case .float: "Float"
        case .double: "Double"
        case .boolean: "Boolean"
        case .string: "String"
        case .dateTime: "DateTime"
        case .text: "Text"
        case .uuid: "UUID"
        case .dataSet: "DataSet"
        case .bytes: "Bytes"
        case .file: "File"
        case .template: "Template"
        case .propertySet: "PropertySet"
        case .propertySetList: "PropertySetList"
        case .int8Array: "Int8Array"
        case .int16Array: "Int16Array"
        case .int32Array: "Int32Array"
        case .int64Array: "Int64Array"
        case .uint8Array: "UInt8Array"
        case .uint16Array: "UInt16Array"
        case .uint32Array: "UInt32Array"
        case .uint64Array: "UInt64Array"
        case .floatArray: "FloatArray"
        case .doubleArray: "DoubleArray"
        case .booleanArray: "BooleanArray"
        case .stringArray: "StringArray"
        case .dateTimeArray: "DateTimeArray"
        }
    }

    /// The datatype of a number on the wire; numbers this version does not know are `unknown`
    /// (the value is then mapped by the oneof member it came in).
    init(wire: UInt32?) {
        self = wire.flatMap(SparkplugDataType.init(rawValue:)) ?? .unknown
    }

    /// Bit width of the signed integer types (whose values travel as two's complement in an
    /// unsigned field: Tahu's Java writes Int8 −1 as 0xFFFFFFFF, others as 0xFF; taking the low
    /// bits and sign-extending reads both).
    var signedBits: Int? {
        switch self {
        case .int8: 8
        case .int16: 16
        case .int32: 32
        case .int64: 64
        default: nil
        }
    }
}
