/// ISO-8601 timestamps in UTC (`2026-05-28T20:26:40Z`), converted to and from Unix time without
/// Foundation.
///
/// The calendar arithmetic is Howard Hinnant's `civil_from_days` / `days_from_civil`
/// (proleptic Gregorian calendar, exact for every `Int64` day count we can meet), so leap years
/// and negative instants need no tables.
public enum ISO8601UTC {
    /// `1970-01-01T00:00:00Z` style text for whole seconds since the Unix epoch.
    public static func format(epochSeconds: Int64) -> String {
        format(seconds: epochSeconds, micros: 0, fractionalDigits: 0)
    }

    /// Text for microseconds since the Unix epoch, with 0, 3 (milliseconds) or 6 (microseconds)
    /// fractional digits. Other digit counts are clamped into 0...6; digits beyond the chosen
    /// precision are truncated, never rounded, so a formatted instant is never in the future.
    public static func format(epochMicros: Int64, fractionalDigits: Int = 6) -> String {
        let (seconds, micros) = floorDivide(epochMicros, 1_000_000)
        return format(seconds: seconds, micros: micros, fractionalDigits: fractionalDigits)
    }

    private static func format(seconds: Int64, micros: Int64, fractionalDigits: Int) -> String {
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let date = civilFromDays(days)
        var text = pad(date.year, 4) + "-" + pad(date.month, 2) + "-" + pad(date.day, 2)
        text += "T" + pad(secondOfDay / 3600, 2) + ":" + pad(secondOfDay / 60 % 60, 2)
        text += ":" + pad(secondOfDay % 60, 2)
        let digits = min(max(fractionalDigits, 0), 6)
        if digits > 0 {
            var divisor: Int64 = 1
            for _ in digits..<6 { divisor *= 10 }
            text += "." + pad(micros / divisor, digits)
        }
        return text + "Z"
    }

    /// Microseconds since the Unix epoch for `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, the
    /// text the agent writes. `t`/space separators, a lower-case `z`, a `,` before the fraction and
    /// `±HHMM` are accepted; fractions beyond microseconds are truncated; a leap second (`:60`)
    /// counts as the first second of the next minute. Returns nil for anything else.
    ///
    /// `lenient` (timestamps in sensor payloads) also takes a date alone (`YYYY-MM-DD`, midnight),
    /// a time without seconds, and no zone designator (then UTC).
    public static func parseEpochMicros(_ text: some StringProtocol, lenient: Bool = false) -> Int64? {
        var reader = DateTextReader(Array(text.utf8))
        guard let days = reader.date() else { return nil }
        if lenient && reader.atEnd { return days * 86_400_000_000 }
        guard reader.skip(anyOf: "Tt "),
              let hour = reader.number(digits: 2), hour < 24, reader.skip(":"),
              let minute = reader.number(digits: 2), minute < 60
        else { return nil }
        var seconds = days * 86_400 + hour * 3600 + minute * 60
        var micros: Int64 = 0
        if reader.skip(":") {
            guard let second = reader.number(digits: 2), second <= 60 else { return nil }
            seconds += second
            if reader.skip(anyOf: ".,") {
                var digitCount = 0
                while let digit = reader.digit() {
                    if digitCount < 6 { micros = micros * 10 + digit }
                    digitCount += 1
                }
                guard digitCount > 0 else { return nil }
                for _ in min(digitCount, 6)..<6 { micros *= 10 }
            }
        } else if !lenient {
            return nil
        }
        if reader.skip(anyOf: "Zz") {
            // UTC
        } else if let sign = reader.sign() {
            guard let offsetHours = reader.number(digits: 2), offsetHours < 24 else { return nil }
            _ = reader.skip(":")
            guard let offsetMinutes = reader.number(digits: 2), offsetMinutes < 60 else { return nil }
            seconds -= sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else if !lenient {
            return nil
        }
        guard reader.atEnd else { return nil }
        return seconds * 1_000_000 + micros
    }

    /// Days since 1970-01-01 for an ISO `YYYY-MM-DD` date.
    public static func days(parsingDate text: some StringProtocol) -> Int64? {
        var reader = DateTextReader(Array(text.utf8))
        guard let days = reader.date(), reader.atEnd else { return nil }
        return days
    }

    /// Seconds since the epoch for the same grammar as `parseEpochMicros`, fraction truncated
    /// towards the past.
    public static func parseEpochSeconds(_ text: String) -> Int64? {
        parseEpochMicros(text).map { floorDivide($0, 1_000_000).quotient }
    }

    // MARK: Calendar arithmetic

    public static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    public static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Division rounding towards negative infinity, so instants before 1970 land on the right day.
    static func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value.magnitude)
        let padding = String(repeating: "0", count: max(0, width - digits.count))
        return (value < 0 ? "-" : "") + padding + digits
    }
}

/// Reads fixed-width decimal fields from ASCII bytes.
private struct DateTextReader {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    mutating func digit() -> Int64? {
        guard index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9")
        else { return nil }
        defer { index += 1 }
        return Int64(bytes[index] - UInt8(ascii: "0"))
    }

    mutating func number(digits: Int) -> Int64? {
        var value: Int64 = 0
        for _ in 0..<digits {
            guard let next = digit() else { return nil }
            value = value * 10 + next
        }
        return value
    }

    mutating func skip(_ character: Unicode.Scalar) -> Bool {
        skip(anyOf: String(character))
    }

    mutating func skip(anyOf characters: String) -> Bool {
        guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
        index += 1
        return true
    }

    /// `+1` for `+`, `-1` for `-`, nil otherwise.
    mutating func sign() -> Int64? {
        if skip("+") { return 1 }
        if skip("-") { return -1 }
        return nil
    }

    /// `YYYY-MM-DD` → days since the epoch, validating the day of the month.
    mutating func date() -> Int64? {
        guard let year = number(digits: 4), skip("-"),
              let month = number(digits: 2), (1...12).contains(month), skip("-"),
              let day = number(digits: 2), (1...ISO8601UTC.daysInMonth(year: year, month: month)).contains(day)
        else { return nil }
        return ISO8601UTC.daysFromCivil(year: year, month: month, day: day)
    }
}
