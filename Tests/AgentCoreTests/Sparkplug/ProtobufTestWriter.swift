/// Builds protobuf messages field by field, for hand-made Sparkplug payloads in tests (including
/// malformed ones no encoder would produce).
struct ProtobufTestWriter {
    private(set) var bytes: [UInt8] = []

    static func varintBytes(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        while value >= 0x80 {
            out.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
        return out
    }

    mutating func varint(_ field: UInt64, _ value: UInt64) {
        bytes += Self.varintBytes(field << 3) + Self.varintBytes(value)
    }

    mutating func fixed32(_ field: UInt64, _ value: UInt32) {
        bytes += Self.varintBytes(field << 3 | 5) + (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    mutating func fixed64(_ field: UInt64, _ value: UInt64) {
        bytes += Self.varintBytes(field << 3 | 1) + (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    mutating func bytes(_ field: UInt64, _ value: [UInt8]) {
        bytes += Self.varintBytes(field << 3 | 2) + Self.varintBytes(UInt64(value.count)) + value
    }

    mutating func string(_ field: UInt64, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    mutating func message(_ field: UInt64, _ build: (inout ProtobufTestWriter) -> Void) {
        var inner = ProtobufTestWriter()
        build(&inner)
        bytes(field, inner.bytes)
    }
}

/// A Sparkplug `Payload` with `timestamp`, `seq` and the given metrics (field 2).
func sparkplugPayload(
    timestamp: UInt64? = 1_780_000_000_000, seq: UInt64? = 1, metrics: [(inout ProtobufTestWriter) -> Void]
) -> [UInt8] {
    var payload = ProtobufTestWriter()
    if let timestamp { payload.varint(1, timestamp) }
    for metric in metrics { payload.message(2, metric) }
    if let seq { payload.varint(3, seq) }
    return payload.bytes
}
