import EdgeSupport
extension JSONScanner {
    /// The slow path for strings that contain backslash escapes: copies the content into a buffer,
    /// decoding `\n`, `\uXXXX` and UTF-16 surrogate pairs. Lone surrogates are rejected because a
    /// Swift `String` (and a protobuf `string`) cannot carry them.
    mutating func parseEscapedString(contentStart: Int, quoteOffset: Int) throws(JSONParseError) -> String {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(offset - contentStart + 16)
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[contentStart..<offset]))
        while offset < bytes.count {
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                guard let text = UTF8Validation.string(buffer) else {
                    throw JSONParseError(offset: quoteOffset, message: "string is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                try appendEscape(to: &buffer)
            case 0..<0x20:
                throw error("unescaped control character in string")
            default:
                buffer.append(byte)
                offset += 1
            }
        }
        throw JSONParseError(offset: quoteOffset, message: "unterminated string")
    }

    private mutating func appendEscape(to buffer: inout [UInt8]) throws(JSONParseError) {
        guard offset + 1 < bytes.count else { throw error("unterminated escape sequence") }
        let escape = bytes[offset + 1]
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): buffer.append(escape)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            let escapeOffset = offset
            var scalar = try readHex4(at: offset + 2)
            offset += 6
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                // A high surrogate must be followed by an escaped low surrogate.
                guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u")
                else { throw JSONParseError(offset: escapeOffset, message: "unpaired UTF-16 surrogate in \\u escape") }
                let low = try readHex4(at: offset + 2)
                guard low >= 0xDC00 && low <= 0xDFFF else {
                    throw JSONParseError(offset: escapeOffset, message: "unpaired UTF-16 surrogate in \\u escape")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                offset += 6
            } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                throw JSONParseError(offset: escapeOffset, message: "unpaired UTF-16 surrogate in \\u escape")
            }
            appendUTF8(scalar, to: &buffer)
            return
        default:
            throw error("invalid escape sequence '\\\(Character(Unicode.Scalar(escape)))'")
        }
        offset += 2
    }

    private func readHex4(at start: Int) throws(JSONParseError) -> UInt32 {
        guard start + 4 <= bytes.count else {
            throw JSONParseError(offset: start - 2, message: "truncated \\u escape")
        }
        var value: UInt32 = 0
        for index in start..<(start + 4) {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseError(offset: start - 2, message: "invalid hex digit in \\u escape")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private func appendUTF8(_ scalar: UInt32, to buffer: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            buffer.append(UInt8(scalar))
        case 0x80..<0x800:
            buffer.append(UInt8(0xC0 | (scalar >> 6)))
            buffer.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            buffer.append(UInt8(0xE0 | (scalar >> 12)))
            buffer.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            buffer.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            buffer.append(UInt8(0xF0 | (scalar >> 18)))
            buffer.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            buffer.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            buffer.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }
}
