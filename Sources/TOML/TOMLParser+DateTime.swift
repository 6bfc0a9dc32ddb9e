// Date and time values (RFC 3339 as profiled by TOML 1.0): offset date-time, local
// date-time, local date and local time. They are checked for form and range and then
// kept as text; interpreting them is up to the consumer.

extension TOMLParser {
    /// `YYYY-MM-DD` exactly.
    static func isFullDate(_ text: ArraySlice<UInt8>) -> Bool {
        guard text.count == 10 else { return false }
        let start = text.startIndex
        for offset in 0..<10 {
            let byte = text[start + offset]
            let ok = offset == 4 || offset == 7 ? byte == UInt8(ascii: "-") : isDigit(byte)
            if !ok { return false }
        }
        return true
    }

    /// Starts with `HH:`.
    static func looksLikeTime(_ text: ArraySlice<UInt8>) -> Bool {
        let start = text.startIndex
        return text.count >= 3 && isDigit(text[start]) && isDigit(text[start + 1])
            && text[start + 2] == UInt8(ascii: ":")
    }

    func validateDateTime(_ token: ArraySlice<UInt8>, text: String, at position: TOMLPosition) throws(TOMLError) {
        func invalid(_ reason: String) -> TOMLError {
            error("invalid date/time '\(text)': \(reason)", at: position)
        }
        /// The decimal number in `count` digits at `offset`, or nil.
        func number(at offset: Int, count: Int) -> Int? {
            guard offset + count <= token.endIndex else { return nil }
            var value = 0
            for byte in token[offset..<(offset + count)] {
                guard Self.isDigit(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }

        var cursor = token.startIndex
        let end = token.endIndex
        var hasDate = false
        if Self.isFullDate(token.prefix(10)) {
            let year = number(at: cursor, count: 4)!
            let month = number(at: cursor + 5, count: 2)!
            let day = number(at: cursor + 8, count: 2)!
            guard (1...12).contains(month) else { throw invalid("month \(month) is out of range (01-12)") }
            let lastDay = Self.daysInMonth(month, year: year)
            guard (1...lastDay).contains(day) else {
                throw invalid("day \(day) is out of range for that month (01-\(lastDay))")
            }
            cursor += 10
            hasDate = true
            if cursor == end { return }  // local date
            let separator = token[cursor]
            guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == 0x20 else {
                throw invalid("expected 'T' or a space between the date and the time")
            }
            cursor += 1
        }

        guard let hour = number(at: cursor, count: 2), cursor + 2 < end,
            token[cursor + 2] == UInt8(ascii: ":"),
            let minute = number(at: cursor + 3, count: 2), cursor + 5 < end, token[cursor + 5] == UInt8(ascii: ":"),
            let second = number(at: cursor + 6, count: 2)
        else {
            throw invalid("the time must be written HH:MM:SS with two digits each (seconds are required)")
        }
        guard hour <= 23 else { throw invalid("hour \(hour) is out of range (00-23)") }
        guard minute <= 59 else { throw invalid("minute \(minute) is out of range (00-59)") }
        guard second <= 60 else { throw invalid("second \(second) is out of range (00-59, or 60 for a leap second)") }
        cursor += 8
        if cursor < end, token[cursor] == UInt8(ascii: ".") {
            cursor += 1
            let fractionStart = cursor
            while cursor < end, Self.isDigit(token[cursor]) { cursor += 1 }
            guard cursor > fractionStart else { throw invalid("a digit is required after the '.' of the seconds") }
        }
        if cursor == end { return }  // local time or local date-time

        guard hasDate else { throw invalid("a time without a date cannot have a time-zone offset") }
        let offsetStart = token[cursor]
        if offsetStart == UInt8(ascii: "Z") || offsetStart == UInt8(ascii: "z") {
            cursor += 1
        } else if offsetStart == UInt8(ascii: "+") || offsetStart == UInt8(ascii: "-") {
            guard let offsetHour = number(at: cursor + 1, count: 2), cursor + 3 < end,
                token[cursor + 3] == UInt8(ascii: ":"), let offsetMinute = number(at: cursor + 4, count: 2)
            else {
                throw invalid("the time-zone offset must be Z or ±HH:MM")
            }
            guard offsetHour <= 23, offsetMinute <= 59 else { throw invalid("the time-zone offset is out of range") }
            cursor += 6
        } else {
            throw invalid("unexpected '\(Character(Unicode.Scalar(offsetStart)))' after the time; expected Z or ±HH:MM")
        }
        guard cursor == end else { throw invalid("unexpected text after the time-zone offset") }
    }

    private static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2:
            let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
            return leap ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }
}
