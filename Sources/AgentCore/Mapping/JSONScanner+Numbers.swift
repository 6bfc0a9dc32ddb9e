extension JSONScanner {
    /// Parses a number per the RFC 8259 grammar `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    ///
    /// Integers that fit `Int64` are exact. Doubles take Clinger's fast path (≤ 2^53 significand,
    /// |exponent| ≤ 22: one exactly rounded multiply or divide) and fall back to the standard
    /// library's correctly rounded text conversion otherwise. Values beyond `Double` are rejected,
    /// and so are non-zero values that would underflow to 0.
    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = offset
        var negative = false
        if bytes[offset] == UInt8(ascii: "-") {
            negative = true
            offset += 1
        }
        var significand: UInt64 = 0
        var significantDigits = 0
        var decimalExponent = 0
        var significandOverflow = false

        func add(_ digit: UInt8, fractional: Bool) {
            if significandOverflow { return }
            if significand == 0 && digit == 0 {
                if fractional { decimalExponent -= 1 }
                return
            }
            if significantDigits == 19 {
                significandOverflow = true
                return
            }
            significand = significand * 10 + UInt64(digit)
            significantDigits += 1
            if fractional { decimalExponent -= 1 }
        }

        guard offset < bytes.count, isDigit(bytes[offset]) else { throw error("invalid number, expected a digit") }
        if bytes[offset] == UInt8(ascii: "0") {
            offset += 1
            if offset < bytes.count && isDigit(bytes[offset]) {
                throw error("invalid number, leading zeros are not allowed")
            }
        } else {
            while offset < bytes.count && isDigit(bytes[offset]) {
                add(bytes[offset] - UInt8(ascii: "0"), fractional: false)
                offset += 1
            }
        }
        var isIntegerLiteral = true
        if offset < bytes.count && bytes[offset] == UInt8(ascii: ".") {
            isIntegerLiteral = false
            offset += 1
            guard offset < bytes.count, isDigit(bytes[offset]) else {
                throw error("invalid number, expected a digit after '.'")
            }
            while offset < bytes.count && isDigit(bytes[offset]) {
                add(bytes[offset] - UInt8(ascii: "0"), fractional: true)
                offset += 1
            }
        }
        if offset < bytes.count && (bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E")) {
            isIntegerLiteral = false
            offset += 1
            var exponentNegative = false
            if offset < bytes.count && (bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-")) {
                exponentNegative = bytes[offset] == UInt8(ascii: "-")
                offset += 1
            }
            guard offset < bytes.count, isDigit(bytes[offset]) else {
                throw error("invalid number, expected a digit in the exponent")
            }
            var exponent = 0
            while offset < bytes.count && isDigit(bytes[offset]) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(bytes[offset] - UInt8(ascii: "0")) }
                offset += 1
            }
            decimalExponent += exponentNegative ? -exponent : exponent
        }

        if isIntegerLiteral && !significandOverflow {
            let limit: UInt64 = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
            if significand <= limit {
                let integer = negative ? Int64(truncatingIfNeeded: 0 &- significand) : Int64(significand)
                return JSONNumber(double: negative && significand == 0 ? -0.0 : Double(integer), integer: integer)
            }
        }
        var value: Double
        if !significandOverflow && significand <= 1 << 53 && decimalExponent >= -22 && decimalExponent <= 22 {
            value = Double(significand)
            if decimalExponent >= 0 {
                value *= JSONScanner.powersOfTen[decimalExponent]
            } else {
                value /= JSONScanner.powersOfTen[-decimalExponent]
            }
            if negative { value = -value }
        } else if significand == 0 && !significandOverflow {
            value = negative ? -0.0 : 0.0
        } else {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
            guard let parsed = Double(text) else { throw JSONParseError(offset: start, message: "invalid number") }
            value = parsed
        }
        guard value.isFinite else { throw JSONParseError(offset: start, message: "number out of range") }
        // A non-zero literal that rounds to 0 (1e-400) is refused like one that overflows: a
        // reading silently becoming 0 looks valid downstream. Subnormals keep their value.
        if value == 0 && (significand != 0 || significandOverflow) {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
            throw JSONParseError(offset: start, message: "number \(text) is too small for a double (it would read as 0)")
        }
        return JSONNumber(double: value)
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// 10^0 … 10^22, all exactly representable as doubles.
    static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]
}
