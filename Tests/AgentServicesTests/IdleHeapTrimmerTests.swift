import Testing

@testable import AgentServices

@Suite struct IdleHeapTrimmerTests {
    /// Trims once per quiet spell: not while messages keep coming (a flood would pay malloc_trim
    /// every second), not again while nothing new arrived (idle CPU stays near zero).
    @Test func tick_trimsOnceAfterIntakeWentQuiet() {
        let trimmer = IdleHeapTrimmer()
        #expect(!trimmer.tick(messages: 0))  // nothing handled yet
        #expect(!trimmer.tick(messages: 500))  // flood running
        #expect(!trimmer.tick(messages: 9000))
        #expect(trimmer.tick(messages: 9000))  // quiet for a tick
        #expect(!trimmer.tick(messages: 9000))  // already trimmed
        #expect(!trimmer.tick(messages: 9001))
        #expect(trimmer.tick(messages: 9001))
    }
}
