/// The Sparkplug B `Payload` message (Eclipse Tahu `sparkplug_b.proto`, package
/// `org.eclipse.tahu.protobuf`), as decoded by `SparkplugPayload.decode`. Field numbers are
/// given beside each property; optional fields absent on the wire are nil.
struct SparkplugPayload: Sendable, Hashable {
    /// 1: ms since the epoch, at sending time.
    var timestamp: UInt64?
    /// 2
    var metrics: [SparkplugMetric] = []
    /// 3: 0…255, per edge node.
    var seq: UInt64?
    /// 4
    var uuid: String?
    /// 5: opaque; not mapped (it bypasses the metric model by definition).
    var body: [UInt8]?
}

struct SparkplugMetric: Sendable, Hashable {
    var name: String?            // 1
    var alias: UInt64?           // 2
    var timestamp: UInt64?       // 3
    var datatype: UInt32?        // 4
    var isHistorical = false     // 5
    var isTransient = false      // 6
    var isNull = false           // 7
    var metadata: SparkplugMetaData?      // 8
    var properties: SparkplugPropertySet? // 9
    /// 10…19, the `value` oneof (the last one on the wire wins, as protobuf says).
    var value: SparkplugWireValue?
}

/// A value as it sits in one of the `value` oneofs; its meaning depends on the datatype.
indirect enum SparkplugWireValue: Sendable, Hashable {
    case int(UInt32)
    case long(UInt64)
    case float(Float)
    case double(Double)
    case boolean(Bool)
    case string(String)
    case bytes([UInt8])
    case dataSet(SparkplugDataSet)
    case template(SparkplugTemplate)
    case propertySet(SparkplugPropertySet)
    case propertySetList([SparkplugPropertySet])
    /// An `extension_value`: vendor-defined, not interpretable here.
    case `extension`
}

struct SparkplugMetaData: Sendable, Hashable {
    var isMultiPart: Bool?       // 1
    var contentType: String?     // 2
    var size: UInt64?            // 3
    var seq: UInt64?             // 4
    var fileName: String?        // 5
    var fileType: String?        // 6
    var md5: String?             // 7
    var description: String?     // 8
}

struct SparkplugPropertySet: Sendable, Hashable {
    var keys: [String] = []                   // 1
    var values: [SparkplugPropertyValue] = [] // 2
}

struct SparkplugPropertyValue: Sendable, Hashable {
    var type: UInt32?            // 1
    var isNull = false           // 2
    var value: SparkplugWireValue? // 3…11
}

struct SparkplugDataSet: Sendable, Hashable {
    var columnCount: UInt64?     // 1
    var columns: [String] = []   // 2
    var types: [UInt32] = []     // 3
    /// 4: each row's elements (`DataSetValue`), nil for an element with no value.
    var rows: [[SparkplugWireValue?]] = []
}

struct SparkplugTemplate: Sendable, Hashable {
    struct Parameter: Sendable, Hashable {
        var name: String?        // 1
        var type: UInt32?        // 2
        var value: SparkplugWireValue? // 3…9
    }

    var version: String?         // 1
    var metrics: [SparkplugMetric] = [] // 2
    var parameters: [Parameter] = []    // 3
    var templateRef: String?     // 4
    var isDefinition: Bool?      // 5
}
