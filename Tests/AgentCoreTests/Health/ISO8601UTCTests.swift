import AgentCore
import Testing

@Suite struct ISO8601UTCTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"),
        (1_780_000_000, "2026-05-28T20:26:40Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),       // leap day of a year divisible by 400
        (1_709_164_800, "2024-02-29T00:00:00Z"),     // ordinary leap day
        (4_107_542_399, "2100-02-28T23:59:59Z"),     // 2100 is not a leap year…
        (4_107_542_400, "2100-03-01T00:00:00Z"),     // …so March follows February 28
        (-1, "1969-12-31T23:59:59Z"),
        (253_402_300_799, "9999-12-31T23:59:59Z"),
    ])
    func formatEpochSeconds_whenKnownInstant(seconds: Int64, expected: String) {
        #expect(ISO8601UTC.format(epochSeconds: seconds) == expected)
        #expect(ISO8601UTC.parseEpochSeconds(expected) == seconds)
    }

    @Test func formatEpochMicros_whenFractionRequested() {
        let micros: Int64 = 1_780_000_000_123_456
        #expect(ISO8601UTC.format(epochMicros: micros) == "2026-05-28T20:26:40.123456Z")
        #expect(ISO8601UTC.format(epochMicros: micros, fractionalDigits: 3) == "2026-05-28T20:26:40.123Z")
        #expect(ISO8601UTC.format(epochMicros: micros, fractionalDigits: 0) == "2026-05-28T20:26:40Z")
        // Before the epoch the fraction still counts forward from the (earlier) whole second.
        #expect(ISO8601UTC.format(epochMicros: -1, fractionalDigits: 6) == "1969-12-31T23:59:59.999999Z")
    }

    @Test func parse_whenOffsetsAndFractions() {
        #expect(ISO8601UTC.parseEpochMicros("2026-05-28T22:26:40.5+02:00") == 1_780_000_000_500_000)
        #expect(ISO8601UTC.parseEpochMicros("2026-05-28 20:26:40.1234567z") == 1_780_000_000_123_456)
        #expect(ISO8601UTC.parseEpochSeconds("2026-05-28T15:26:40-05:00") == 1_780_000_000)
    }

    @Test(arguments: [
        "", "2026-05-28", "2026-05-28T20:26:40", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
        "2026-05-28T24:00:00Z", "2026-05-28T20:26:40.Z", "2026-05-28T20:26:40Z ", "26-05-28T20:26:40Z",
    ])
    func parse_whenMalformed_returnsNil(text: String) {
        #expect(ISO8601UTC.parseEpochMicros(text) == nil)
    }
}
