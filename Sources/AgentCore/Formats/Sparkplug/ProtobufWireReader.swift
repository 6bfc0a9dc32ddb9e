/// A forward-only reader of the protobuf wire format (varints, fixed 32/64-bit, length-delimited
/// fields), over bytes the caller lends for the call.
///
/// Hand-written rather than generated with protoc-gen-swift: Sparkplug payloads are decoded on
/// libmosquitto's network thread for every message, straight out of libmosquitto's buffer. A
/// generated `Message` would copy the payload into `Data`, allocate one object graph per
/// metric and then be converted again into JSON documents; this reader goes from the bytes to
/// the documents with no intermediate copy, and keeps SwiftProtobuf out of AgentCore (the
/// budget: CPU per reading on the MQTT thread, SPEC §8). Only what `sparkplug_b.proto` needs
/// is here; unknown fields (extensions) are skipped, as protobuf requires.
struct ProtobufWireReader {
    enum WireType: UInt8 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case startGroup = 3
        case endGroup = 4
        case fixed32 = 5
    }

    struct Malformed: Error {
        var reason: String
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset >= bytes.count }

    /// The next field's number and wire type, or nil at the end of the message.
    mutating func nextField() throws(Malformed) -> (number: UInt64, wireType: WireType)? {
        guard !isAtEnd else { return nil }
        let key = try varint()
        let number = key >> 3
        guard number > 0, let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw Malformed(reason: "invalid field key \(key) at byte \(offset)")
        }
        return (number, wireType)
    }

    mutating func varint() throws(Malformed) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            guard shift < 64 else { throw Malformed(reason: "varint longer than 10 bytes at byte \(offset)") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw Malformed(reason: "truncated varint at byte \(offset)")
    }

    mutating func fixed32() throws(Malformed) -> UInt32 {
        UInt32(truncatingIfNeeded: try littleEndian(count: 4))
    }

    mutating func fixed64() throws(Malformed) -> UInt64 {
        try littleEndian(count: 8)
    }

    /// A length-delimited field's contents (a string, bytes or an embedded message).
    mutating func lengthDelimited() throws(Malformed) -> UnsafeBufferPointer<UInt8> {
        let length = try varint()
        guard length <= UInt64(bytes.count - offset) else {
            throw Malformed(reason: "field of \(length) bytes runs past the end of the payload at byte \(offset)")
        }
        let start = offset
        offset += Int(length)
        return UnsafeBufferPointer(rebasing: bytes[start..<offset])
    }

    /// Skips a field this decoder does not read (including deprecated groups).
    mutating func skip(_ wireType: WireType, number: UInt64) throws(Malformed) {
        switch wireType {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .fixed32: _ = try fixed32()
        case .lengthDelimited: _ = try lengthDelimited()
        case .startGroup:
            while let field = try nextField() {
                if field.wireType == .endGroup {
                    guard field.number == number else { throw Malformed(reason: "mismatched end of group \(number)") }
                    return
                }
                try skip(field.wireType, number: field.number)
            }
            throw Malformed(reason: "group \(number) is not closed")
        case .endGroup:
            throw Malformed(reason: "end of group \(number) without its start")
        }
    }

    /// Checks that a scalar field came with the wire type its declaration implies.
    static func expect(_ wireType: WireType, _ expected: WireType, field: String) throws(Malformed) {
        guard wireType == expected else {
            throw Malformed(reason: "field \(field) has wire type \(wireType.rawValue), expected \(expected.rawValue)")
        }
    }

    private mutating func littleEndian(count: Int) throws(Malformed) -> UInt64 {
        guard bytes.count - offset >= count else { throw Malformed(reason: "truncated fixed-size field at byte \(offset)") }
        var value: UInt64 = 0
        for index in 0..<count {
            value |= UInt64(bytes[offset + index]) << (8 * UInt64(index))
        }
        offset += count
        return value
    }
}
