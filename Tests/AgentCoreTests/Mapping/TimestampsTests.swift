import Testing
@testable import AgentCore

@Suite struct TimestampsTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("1970-01-01", Int64(0)),
        ("2024-02-29T12:34:56Z", Int64(1_709_210_096_000_000)),
        ("2024-02-29t12:34:56z", Int64(1_709_210_096_000_000)),
        ("2024-02-29 12:34:56", Int64(1_709_210_096_000_000)),
        ("2024-02-29T12:34Z", Int64(1_709_210_040_000_000)),
        ("2024-02-29T12:34:56.5Z", Int64(1_709_210_096_500_000)),
        ("2024-02-29T12:34:56.123456Z", Int64(1_709_210_096_123_456)),
        ("2024-02-29T12:34:56.123456789Z", Int64(1_709_210_096_123_456)),
        ("2024-02-29T14:34:56+02:00", Int64(1_709_210_096_000_000)),
        ("2024-02-29T14:34:56+0200", Int64(1_709_210_096_000_000)),
        ("2024-02-29T07:04:56-05:30", Int64(1_709_210_096_000_000)),
        ("1969-12-31T23:59:59.999999Z", Int64(-1)),
        ("1900-01-01T00:00:00Z", Int64(-2_208_988_800_000_000)),
        ("2016-12-31T23:59:60Z", Int64(1_483_228_800_000_000)),
    ])
    func iso8601(text: String, micros: Int64) {
        #expect(Timestamps.microseconds(parsingISO8601: text) == micros)
    }

    @Test(arguments: [
        "2023-02-29T00:00:00Z", "2024-13-01", "2024-00-10", "2024-01-32", "2024-01-01T24:00:00Z",
        "2024-01-01T10:60:00Z", "2024-01-01T10:00:61Z", "2024-01-01T10:00:00.Z", "2024-01-01T10:00:00+25:00",
        "2024-01-01T10", "2024-1-01", "24-01-01", "2024-01-01X10:00:00", "2024-01-01T10:00:00Z junk", "",
        "yesterday",
    ])
    func rejectsInvalidISO8601(text: String) {
        #expect(Timestamps.microseconds(parsingISO8601: text) == nil)
    }

    @Test(arguments: [
        // seconds: below 1e11
        (JSONNumber(integer: 1_700_000_000), Int64(1_700_000_000_000_000)),
        (JSONNumber(double: 1_700_000_000.25), Int64(1_700_000_000_250_000)),
        (JSONNumber(integer: 99_999_999_999), Int64(99_999_999_999_000_000)),
        (JSONNumber(integer: -86_400), Int64(-86_400_000_000)),
        // milliseconds: 1e11 ..< 1e14
        (JSONNumber(integer: 100_000_000_000), Int64(100_000_000_000_000)),
        (JSONNumber(integer: 1_700_000_000_123), Int64(1_700_000_000_123_000)),
        (JSONNumber(double: 1_700_000_000_123.5), Int64(1_700_000_000_123_500)),
        (JSONNumber(integer: 99_999_999_999_999), Int64(99_999_999_999_999_000)),
        // microseconds: ≥ 1e14
        (JSONNumber(integer: 100_000_000_000_000), Int64(100_000_000_000_000)),
        (JSONNumber(integer: 1_700_000_000_123_456), Int64(1_700_000_000_123_456)),
    ])
    func epochByMagnitude(number: JSONNumber, micros: Int64) {
        #expect(Timestamps.microseconds(fromEpoch: number) == micros)
    }

    @Test func epochOutOfRange() {
        #expect(Timestamps.microseconds(fromEpoch: JSONNumber(double: 1e19)) == nil)
    }

    @Test func dates() {
        #expect(Timestamps.days(parsingISODate: "1970-01-01") == 0)
        #expect(Timestamps.days(parsingISODate: "2000-03-01") == 11_017)
        #expect(Timestamps.days(parsingISODate: "1969-12-31") == -1)
        #expect(Timestamps.days(parsingISODate: "2024-02-30") == nil)
        #expect(Timestamps.days(parsingISODate: "2024-02-29T00:00:00Z") == nil)
    }

    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000000Z"),
        (Int64(1_709_210_096_123_456), "2024-02-29T12:34:56.123456Z"),
        (Int64(-1), "1969-12-31T23:59:59.999999Z"),
        (Int64(-2_208_988_800_000_000), "1900-01-01T00:00:00.000000Z"),
    ])
    func rfc3339Formatting(micros: Int64, text: String) {
        #expect(Timestamps.rfc3339(microseconds: micros) == text)
        #expect(Timestamps.microseconds(parsingISO8601: text) == micros)
    }

    @Test func civilRoundTripOverFourCenturies() {
        var days = ISO8601UTC.daysFromCivil(year: 1800, month: 1, day: 1)
        let end = ISO8601UTC.daysFromCivil(year: 2200, month: 1, day: 1)
        var mismatches: [Int64] = []
        var previousDay: Int64 = 31
        while days < end {
            let (year, month, day) = ISO8601UTC.civilFromDays(days)
            if ISO8601UTC.daysFromCivil(year: year, month: month, day: day) != days
                || !(day == previousDay + 1 || day == 1) {
                mismatches.append(days)
            }
            previousDay = day
            days += 1
        }
        #expect(mismatches.isEmpty)
    }
}
