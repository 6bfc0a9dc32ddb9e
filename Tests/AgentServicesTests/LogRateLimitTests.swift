@testable import AgentServices
import Testing

@Suite struct LogRateLimitTests {
    @Test func aBurstPassesThenLinesAreCountedAndTheCountRidesOnTheNextWindowsFirstLine() {
        var limit = LogRateLimit(burst: 3, window: .seconds(60))
        let start = ContinuousClock.now
        #expect((0..<3).map { _ in limit.admit(now: start) } == [0, 0, 0])
        #expect((0..<5).map { _ in limit.admit(now: start + .seconds(59)) } == [nil, nil, nil, nil, nil])
        #expect(limit.admit(now: start + .seconds(60)) == 5)
        #expect(limit.admit(now: start + .seconds(61)) == 0)
        #expect(limit.admit(now: start + .seconds(61)) == 0)
        #expect(limit.admit(now: start + .seconds(62)) == nil)
        #expect(limit.admit(now: start + .seconds(200)) == 1)
    }
}
