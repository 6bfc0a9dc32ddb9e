// Unquoted values: booleans, integers (decimal, 0x, 0o, 0b), floats (including inf and
// nan) and date/times. The token is cut first, then classified and checked in full, so
// `1979-05-27T07:32:00Z` and `0x_ff` are judged as a whole.

extension TOMLParser {
    /// Reads the unquoted value at `index`.
    mutating func parseScalarToken() throws(TOMLError) -> TOMLValue {
        let start = index
        let startPosition = here()
        while let byte = peek(), Self.isTokenByte(byte) { index += 1 }
        // A date may be separated from its time by a space: `1979-05-27 07:32:00`.
        if Self.isFullDate(bytes[start..<index]), next(is: " "), let hour1 = peek(1), let hour2 = peek(2),
            Self.isDigit(hour1), Self.isDigit(hour2), peek(3) == UInt8(ascii: ":")
        {
            index += 1
            while let byte = peek(), Self.isTokenByte(byte) { index += 1 }
        }
        let token = bytes[start..<index]
        let text = String(decoding: token, as: UTF8.self)
        guard !token.isEmpty else {
            throw error("expected a value, found \(describeCharacter())", at: startPosition)
        }
        if text == "true" { return .boolean(true) }
        if text == "false" { return .boolean(false) }
        if Self.isFullDate(token.prefix(10)) || Self.looksLikeTime(token) {
            try validateDateTime(token, text: text, at: startPosition)
            return .datetime(text)
        }
        guard let first = token.first, Self.isDigit(first) || first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
            || first == UInt8(ascii: ".") || text == "inf" || text == "nan"
        else {
            throw error(Self.unquotedValueMessage(unquotedWord(from: start)), at: startPosition)
        }
        return try parseNumber(token, text: text, at: startPosition)
    }

    /// The word an operator typed without quotes (`mqtt://host:1883`, not just `mqtt:`),
    /// up to whitespace or a delimiter, for the message.
    private func unquotedWord(from start: Int) -> String {
        var end = start
        while end < bytes.count {
            switch bytes[end] {
            case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: "#"):
                return String(decoding: bytes[start..<end], as: UTF8.self)
            default:
                end += 1
            }
        }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Explains the likely mistake behind an unquoted word in value position.
    private static func unquotedValueMessage(_ text: String) -> String {
        switch text.lowercased() {
        case "true", "false":
            "invalid value '\(text)': booleans are lowercase (true or false)"
        case "inf", "nan":
            "invalid value '\(text)': write inf and nan in lowercase"
        default:
            text.hasPrefix("_")
                ? "invalid number '\(text)': an underscore must sit between two digits"
                : "invalid value '\(text)': text values must be quoted (\"\(text)\")"
        }
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        isBareKeyByte(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func parseNumber(_ token: ArraySlice<UInt8>, text: String, at position: TOMLPosition)
        throws(TOMLError) -> TOMLValue
    {
        var digits = token[...]
        var negative = false
        if let sign = digits.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        let unsigned = String(decoding: digits, as: UTF8.self)
        if unsigned == "inf" { return .float(negative ? -.infinity : .infinity) }
        if unsigned == "nan" { return .float(negative ? -.nan : .nan) }

        if digits.count >= 2, digits.first == UInt8(ascii: "0"), let marker = digits.dropFirst().first,
            let radix = Self.radix(marker)
        {
            guard digits.count == token.count else {
                throw error("invalid integer '\(text)': hexadecimal, octal and binary integers cannot have a sign", at: position)
            }
            return .integer(try parseRadixInteger(digits.dropFirst(2), radix: radix, text: text, at: position))
        }
        if digits.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            return .float(try parseFloat(token, digits: digits, text: text, at: position))
        }
        try checkDigitGroups(digits, text: text, kind: "integer", at: position)
        if digits.count > 1, digits.first == UInt8(ascii: "0") {
            throw error("invalid integer '\(text)': leading zeros are not allowed", at: position)
        }
        // Accumulate the magnitude; Int64.min's magnitude is one more than Int64.max.
        let limit = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
        var magnitude: UInt64 = 0
        for byte in digits where byte != UInt8(ascii: "_") {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2, sum <= limit else { throw integerOverflow(text, at: position) }
            magnitude = sum
        }
        return .integer(negative ? Int64(bitPattern: 0 &- magnitude) : Int64(magnitude))
    }

    private static func radix(_ marker: UInt8) -> UInt64? {
        switch marker {
        case UInt8(ascii: "x"): 16
        case UInt8(ascii: "o"): 8
        case UInt8(ascii: "b"): 2
        default: nil
        }
    }

    private func parseRadixInteger(_ digits: ArraySlice<UInt8>, radix: UInt64, text: String, at position: TOMLPosition)
        throws(TOMLError) -> Int64
    {
        let name = radix == 16 ? "hexadecimal" : radix == 8 ? "octal" : "binary"
        guard !digits.isEmpty else { throw error("invalid integer '\(text)': no digits after the prefix", at: position) }
        var value: UInt64 = 0
        var previousWasDigit = false
        for byte in digits {
            if byte == UInt8(ascii: "_") {
                guard previousWasDigit else { throw misplacedUnderscore(text, kind: "integer", at: position) }
                previousWasDigit = false
                continue
            }
            guard let digit = Self.hexDigitValue(byte), UInt64(digit) < radix else {
                throw error("invalid \(name) integer '\(text)': '\(Character(Unicode.Scalar(byte)))' is not a \(name) digit", at: position)
            }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: radix)
            let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2, sum <= UInt64(Int64.max) else { throw integerOverflow(text, at: position) }
            value = sum
            previousWasDigit = true
        }
        guard previousWasDigit else { throw misplacedUnderscore(text, kind: "integer", at: position) }
        return Int64(value)
    }

    /// `[+-] int-part ( exp | frac [exp] )`, e.g. `3.14`, `-1_000.5e-3`, `5e+22`.
    private func parseFloat(_ token: ArraySlice<UInt8>, digits: ArraySlice<UInt8>, text: String, at position: TOMLPosition)
        throws(TOMLError) -> Double
    {
        let exponentStart = digits.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let mantissa = digits[..<(exponentStart ?? digits.endIndex)]
        let dot = mantissa.firstIndex(of: UInt8(ascii: "."))
        let integerPart = mantissa[..<(dot ?? mantissa.endIndex)]
        guard !integerPart.isEmpty else {
            throw error("invalid float '\(text)': a digit is required before the '.' (write 0.5, not .5)", at: position)
        }
        try checkDigitGroups(integerPart, text: text, kind: "float", at: position)
        if integerPart.count > 1, integerPart.first == UInt8(ascii: "0") {
            throw error("invalid float '\(text)': leading zeros are not allowed", at: position)
        }
        if let dot {
            let fraction = mantissa[(dot + 1)...]
            guard !fraction.isEmpty else {
                throw error("invalid float '\(text)': a digit is required after the '.' (write 1.0, not 1.)", at: position)
            }
            try checkDigitGroups(fraction, text: text, kind: "float", at: position)
        }
        if let exponentStart {
            var exponent = digits[(exponentStart + 1)...]
            if let sign = exponent.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                exponent = exponent.dropFirst()
            }
            guard !exponent.isEmpty else { throw error("invalid float '\(text)': the exponent has no digits", at: position) }
            try checkDigitGroups(exponent, text: text, kind: "float", at: position)
        }
        let plain = String(decoding: token.lazy.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        guard let value = Double(plain), value.isFinite else {
            throw error("float '\(text)' is out of range for a 64-bit float", at: position)
        }
        return value
    }

    /// Decimal digits with single underscores only between digits.
    private func checkDigitGroups(_ digits: ArraySlice<UInt8>, text: String, kind: String, at position: TOMLPosition)
        throws(TOMLError)
    {
        var previousWasDigit = false
        for byte in digits {
            if byte == UInt8(ascii: "_") {
                guard previousWasDigit else { throw misplacedUnderscore(text, kind: kind, at: position) }
                previousWasDigit = false
            } else if Self.isDigit(byte) {
                previousWasDigit = true
            } else {
                throw error(
                    "invalid \(kind) '\(text)': unexpected '\(Character(Unicode.Scalar(byte)))'", at: position
                )
            }
        }
        guard previousWasDigit else {
            if digits.isEmpty { throw error("invalid \(kind) '\(text)': digits expected", at: position) }
            throw misplacedUnderscore(text, kind: kind, at: position)
        }
    }

    private func misplacedUnderscore(_ text: String, kind: String, at position: TOMLPosition) -> TOMLError {
        error("invalid \(kind) '\(text)': an underscore must sit between two digits", at: position)
    }

    private func integerOverflow(_ text: String, at position: TOMLPosition) -> TOMLError {
        error("integer '\(text)' does not fit in 64 bits (range -9223372036854775808...9223372036854775807)", at: position)
    }
}
