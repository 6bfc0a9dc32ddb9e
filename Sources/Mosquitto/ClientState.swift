import Glibc

/// Where a client is in its life. Only moves forward.
enum ClientPhase: Sendable {
    case created, running, stopping, stopped
}

/// Everything the network thread and callers share, guarded by `ClientCore.state`.
struct ClientState {
    var phase = ClientPhase.created
    var paused = false
    /// CONNACK accepted and no disconnect since.
    var connected = false
    /// Calls into libmosquitto in progress on threads other than the network thread; the
    /// handle is destroyed only when this is 0 and the network thread has ended.
    var leases = 0
    /// Set by the network thread itself before any callback can run.
    var networkThread: pthread_t?
    var networkThreadFinished = false
    var handleDestroyed = false

    var nextAttempt = MonotonicInstant(nanoseconds: 0)
    var failedAttempts = 0
    var stopRequestedAt: MonotonicInstant?
    /// The broker answered this attempt's CONNECT with a refusal, already reported.
    var refusedThisAttempt = false
    /// The end of this attempt's connection has been reported (event sent or deliberately not).
    var endOfAttemptReported = false
    /// The last MOSQ_LOG_ERR line of this attempt (OpenSSL's reason for a TLS failure).
    var lastLibraryError: String?
    var hasConnectedSinceStart = false
    /// Subscribe packet id → topic filter, until its SUBACK arrives.
    var pendingSubscriptions: [Int32: String] = [:]

    var isOnNetworkThread: Bool {
        guard let networkThread else { return false }
        return pthread_equal(networkThread, pthread_self()) != 0
    }

    /// Capped exponential backoff with jitter: the n-th consecutive failure waits a random
    /// time in [base/2, base], base = min · 2ⁿ capped at max (never below min).
    mutating func scheduleRetry(minimum: Duration, maximum: Duration) {
        let exponent = min(failedAttempts, 30)
        var base = minimum * (1 << exponent)
        if base > maximum || base < minimum { base = maximum }
        let low = max(base / 2, minimum).wholeNanoseconds
        let high = max(base.wholeNanoseconds, low)
        let delay = UInt64.random(in: low...high)
        failedAttempts += 1
        nextAttempt = MonotonicInstant(nanoseconds: MonotonicInstant.now.nanoseconds + delay)
    }
}
