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
        ISO8601UTC.parseEpochMicros(text, lenient: true)
    }

    /// Days since 1970-01-01 for an ISO `YYYY-MM-DD` date.
    public static func days(parsingISODate text: some StringProtocol) -> Int64? {
        ISO8601UTC.days(parsingDate: text)
    }

    /// RFC 3339 text with microseconds in UTC, e.g. `2026-03-01T12:00:00.250000Z`.
    public static func rfc3339(microseconds: Int64) -> String {
        ISO8601UTC.format(epochMicros: microseconds, fractionalDigits: 6)
    }
}
