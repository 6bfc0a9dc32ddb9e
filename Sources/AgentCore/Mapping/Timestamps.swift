/// Conversions between the time formats sensors send and the µs-since-epoch / days-since-epoch
/// values Unity Catalog `timestamp` and `date` columns hold. Pure arithmetic, UTC only.
public enum Timestamps {
    /// Epoch numbers whose magnitude is below this are seconds (1e11 s ≈ year 5138).
    public static let secondsBelow: Double = 1e11
    /// Epoch numbers below this (and ≥ `secondsBelow`) are milliseconds (1e14 ms ≈ year 5138;
    /// 1e11 ms ≈ 1973-03-03, so real millisecond clocks are never mistaken for seconds).
    /// Everything at or above it is microseconds.
    public static let millisecondsBelow: Double = 1e14

    /// µs since the epoch for an epoch number in seconds, milliseconds or microseconds, chosen by
    /// magnitude (see the thresholds above). Nil if the result does not fit `Int64`.
    public static func microseconds(fromEpoch number: JSONNumber) -> Int64? {
        let magnitude = number.double.magnitude
        if let integer = number.integer {
            if magnitude < secondsBelow { return integer * 1_000_000 }
            if magnitude < millisecondsBelow { return integer * 1_000 }
            return integer
        }
        let scaled: Double
        if magnitude < secondsBelow {
            scaled = number.double * 1e6
        } else if magnitude < millisecondsBelow {
            scaled = number.double * 1e3
        } else {
            scaled = number.double
        }
        let rounded = scaled.rounded()
        guard rounded.isFinite, rounded.magnitude < 9.2e18 else { return nil }
        return Int64(rounded)
    }

    /// µs since the epoch for an RFC 3339 / ISO 8601 text:
    /// `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.ffffff]]` with `T`, `t` or a space between date and time,
    /// followed by `Z`, `±HH:MM`, `±HHMM` or nothing (then UTC). Digits beyond microseconds are truncated.
    public static func microseconds(parsingISO8601 text: some StringProtocol) -> Int64? {
        var reader = DigitReader(Array(text.utf8))
        guard let days = reader.readDate() else { return nil }
        var seconds = days * 86_400
        var micros: Int64 = 0
        if reader.isAtEnd { return seconds * 1_000_000 }
        guard reader.consume(anyOf: [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")]),
              let hour = reader.readNumber(digits: 2), hour < 24,
              reader.consume(UInt8(ascii: ":")),
              let minute = reader.readNumber(digits: 2), minute < 60
        else { return nil }
        seconds += hour * 3600 + minute * 60
        if reader.consume(UInt8(ascii: ":")) {
            guard let second = reader.readNumber(digits: 2), second <= 60 else { return nil }  // 60: leap second
            seconds += second
            if reader.consume(UInt8(ascii: ".")) || reader.consume(UInt8(ascii: ",")) {
                var digits = 0
                while let digit = reader.peekDigit() {
                    if digits < 6 { micros = micros * 10 + digit }
                    digits += 1
                    reader.advance()
                }
                if digits == 0 { return nil }
                for _ in min(digits, 6)..<6 { micros *= 10 }
            }
        }
        if reader.consume(UInt8(ascii: "Z")) || reader.consume(UInt8(ascii: "z")) {
            // UTC
        } else if let sign = reader.consumeSign() {
            guard let offsetHours = reader.readNumber(digits: 2), offsetHours < 24 else { return nil }
            _ = reader.consume(UInt8(ascii: ":"))
            guard let offsetMinutes = reader.readNumber(digits: 2), offsetMinutes < 60 else { return nil }
            seconds -= sign * (offsetHours * 3600 + offsetMinutes * 60)
        }
        guard reader.isAtEnd else { return nil }
        return seconds * 1_000_000 + micros
    }

    /// Days since 1970-01-01 for an ISO `YYYY-MM-DD` date.
    public static func days(parsingISODate text: some StringProtocol) -> Int64? {
        var reader = DigitReader(Array(text.utf8))
        guard let days = reader.readDate(), reader.isAtEnd else { return nil }
        return days
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    public static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let adjustedYear = month <= 2 ? year - 1 : year
        let era = (adjustedYear >= 0 ? adjustedYear : adjustedYear - 399) / 400
        let yearOfEra = adjustedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// RFC 3339 text with microseconds in UTC, e.g. `2026-03-01T12:00:00.250000Z`.
    public static func rfc3339(microseconds: Int64) -> String {
        let (seconds, micros) = floorDivide(microseconds, 1_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(micros, 6))Z"
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value / divisor
        let remainder = value % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}

/// A cursor over ASCII date/time text.
private struct DigitReader {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { position == bytes.count }

    mutating func advance() { position += 1 }

    func peekDigit() -> Int64? {
        guard position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 else { return nil }
        return Int64(bytes[position] - 0x30)
    }

    mutating func readNumber(digits: Int) -> Int64? {
        var value: Int64 = 0
        for _ in 0..<digits {
            guard let digit = peekDigit() else { return nil }
            value = value * 10 + digit
            position += 1
        }
        return value
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    mutating func consume(anyOf candidates: [UInt8]) -> Bool {
        guard position < bytes.count, candidates.contains(bytes[position]) else { return false }
        position += 1
        return true
    }

    mutating func consumeSign() -> Int64? {
        if consume(UInt8(ascii: "+")) { return 1 }
        if consume(UInt8(ascii: "-")) { return -1 }
        return nil
    }

    /// `YYYY-MM-DD` → days since the epoch, validating the day of the month.
    mutating func readDate() -> Int64? {
        guard let year = readNumber(digits: 4), consume(UInt8(ascii: "-")),
              let month = readNumber(digits: 2), (1...12).contains(month), consume(UInt8(ascii: "-")),
              let day = readNumber(digits: 2), day >= 1
        else { return nil }
        let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthLengths: [Int64] = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day <= monthLengths[Int(month - 1)] else { return nil }
        return Timestamps.daysSinceEpoch(year: year, month: month, day: day)
    }
}
