import EdgeSupport

// Strict UTF-8 validation for TOML.parse(utf8:). A Swift String is always valid, but
// raw file bytes are not, and the spec requires rejecting invalid UTF-8 rather than
// silently replacing it.

enum TOMLUTF8Check {
    /// Throws at the first byte that does not start a well-formed UTF-8 sequence
    /// (overlong forms, surrogates and values above U+10FFFF are rejected).
    static func validate(_ bytes: [UInt8]) throws(TOMLError) {
        guard let offset = bytes.withUnsafeBufferPointer({ UTF8Validation.firstInvalidOffset($0) }) else { return }
        throw TOMLError(
            position: position(of: offset, in: bytes),
            message: "invalid UTF-8 byte 0x\(hex(bytes[offset])); the file must be UTF-8 encoded"
        )
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

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
