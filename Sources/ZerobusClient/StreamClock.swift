/// The stream's view of its clock (``StreamConfiguration/clock``). Instants are durations since
/// the stream was made, so the actor can store and compare them without knowing the concrete
/// clock type: `any Clock<Duration>` has an opaque `Instant`, and opening the existential once
/// here keeps every deadline in the stream a plain `Duration`.
struct StreamClock: Sendable {
    typealias Instant = Duration

    private let readNow: @Sendable () -> Duration
    private let sleepUntil: @Sendable (Duration) async throws -> Void

    init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let origin = clock.now
        readNow = { origin.duration(to: clock.now) }
        sleepUntil = { try await clock.sleep(until: origin.advanced(by: $0), tolerance: nil) }
    }

    var now: Instant { readNow() }

    /// Like `Task.sleep(for:)` on the underlying clock: throws `CancellationError` if cancelled.
    func sleep(for duration: Duration) async throws {
        try await sleepUntil(now + duration)
    }
}
