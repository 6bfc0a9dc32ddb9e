/// Appends protobuf wire-format primitives to a byte array.
extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        append(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always)
    mutating func appendTag(_ tag: UInt32) {
        if tag < 0x80 {
            append(UInt8(truncatingIfNeeded: tag))
        } else {
            appendVarint(UInt64(tag))
        }
    }

    @inline(__always)
    mutating func appendLittleEndian32(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 24))
    }

    @inline(__always)
    mutating func appendLittleEndian64(_ value: UInt64) {
        appendLittleEndian32(UInt32(truncatingIfNeeded: value))
        appendLittleEndian32(UInt32(truncatingIfNeeded: value >> 32))
    }

    /// Writes a length-delimited payload produced by `body` in place: one placeholder byte is
    /// reserved for the length (enough below 128 bytes, the common case) and the payload is
    /// shifted only when the length needs more varint bytes.
    @inline(__always)
    mutating func appendLengthDelimited<E: Error>(_ body: (inout [UInt8]) throws(E) -> Void) throws(E) {
        let lengthPosition = count
        append(0)
        try body(&self)
        let length = count - lengthPosition - 1
        if length < 0x80 {
            self[lengthPosition] = UInt8(truncatingIfNeeded: length)
            return
        }
        var prefix: [UInt8] = []
        prefix.appendVarint(UInt64(length))
        self[lengthPosition] = prefix[0]
        insert(contentsOf: prefix[1...], at: lengthPosition + 1)
    }
}

/// ZigZag encoding used by sint32/sint64: small magnitudes of either sign become small varints.
@inline(__always)
func zigZag(_ value: Int64) -> UInt64 {
    UInt64(bitPattern: (value << 1) ^ (value >> 63))
}

@inline(__always)
func unZigZag(_ value: UInt64) -> Int64 {
    Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
}
