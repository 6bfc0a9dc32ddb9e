// Strict UTF-8 validation for TOML.parse(utf8:). A Swift String is always valid, but
// raw file bytes are not, and the spec requires rejecting invalid UTF-8 rather than
// silently replacing it.

enum UTF8Validation {
    /// Throws at the first byte that does not start a well-formed UTF-8 sequence
    /// (overlong forms, surrogates and values above U+10FFFF are rejected).
    static func validate(_ bytes: [UInt8]) throws(TOMLError) {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length = sequenceLength(bytes, at: index)
            guard length > 0 else {
                throw TOMLError(
                    position: position(of: index, in: bytes),
                    message: "invalid UTF-8 byte 0x\(hex(bytes[index])); the file must be UTF-8 encoded"
                )
            }
            index += length
        }
    }

    /// The length of the well-formed sequence at `index`, or 0 if it is ill-formed
    /// (ranges from the Unicode standard, table 3-7).
    private static func sequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F  // excludes surrogates
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F  // caps at U+10FFFF
        default: return 0
        }
        guard index + length <= bytes.count, secondRange.contains(bytes[index + 1]) else { return 0 }
        for offset in 2..<length where !(0x80...0xBF).contains(bytes[index + offset]) {
            return 0
        }
        return length
    }

    /// Line and column of a byte offset, counting only the valid prefix before it.
    private static func position(of offset: Int, in bytes: [UInt8]) -> TOMLPosition {
        var line = 1
        var column = 1
        for byte in bytes[..<offset] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return TOMLPosition(line: line, column: column)
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
