import AgentCore
import ZerobusClient

/// What the ring's descriptor registry holds for a table, and so for each buffered row: the
/// table's protobuf descriptor, or, for `record_type = "json"`, one 0x00 byte and then that
/// descriptor. A serialized DescriptorProto never starts with 0x00 (field number 0 does not
/// exist), so rings written before JSON records existed read as before, and a row buffered
/// as JSON is resent as JSON even after the table changed to protobuf (each row is sent in
/// the format it was encoded in).
enum RegisteredSchema {
    private static let jsonMarker: UInt8 = 0

    static func bytes(descriptor: [UInt8], recordType: RecordType) -> [UInt8] {
        switch recordType {
        case .proto: descriptor
        case .json: [jsonMarker] + descriptor
        }
    }

    /// The descriptor and the record type of registered bytes.
    static func parse(_ bytes: [UInt8]) -> (descriptor: [UInt8], recordType: RecordType) {
        if bytes.first == jsonMarker { return (Array(bytes.dropFirst()), .json) }
        return (bytes, .proto)
    }

    /// How rows registered with these bytes go on the wire.
    static func format(of bytes: [UInt8]) -> RecordFormat {
        let (descriptor, recordType) = parse(bytes)
        switch recordType {
        case .proto: return .proto(descriptor: descriptor)
        case .json: return .json
        }
    }
}
