import Testing

@testable import ZerobusClient

@Suite struct BackoffTests {
    @Test func ceilingDoublesUntilTheCap() {
        let policy = BackoffPolicy(initial: .milliseconds(500), maximum: .seconds(30), jitter: false)
        let delays = (0..<9).map { policy.delay(attempt: $0) }
        #expect(delays == [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000].map { .milliseconds($0) })
    }

    @Test func hugeAttemptNumbersStayAtTheCap() {
        let policy = BackoffPolicy(initial: .milliseconds(500), maximum: .seconds(30), jitter: false)
        #expect(policy.delay(attempt: 10_000) == .seconds(30))
    }

    @Test func fullJitterScalesTheCeiling() {
        let policy = BackoffPolicy(initial: .milliseconds(1000), maximum: .seconds(8), jitter: true)
        #expect(policy.delay(attempt: 2, unitRandom: 0) == .zero)
        #expect(policy.delay(attempt: 2, unitRandom: 0.5) == .milliseconds(2000))
        #expect(policy.delay(attempt: 5, unitRandom: 0.25) == .milliseconds(2000))
    }

    @Test func randomDelaysStayWithinTheCeiling() {
        let policy = BackoffPolicy()
        for attempt in 0..<12 {
            let delay = policy.delay(attempt: attempt)
            #expect(delay >= .zero && delay <= policy.ceiling(attempt: attempt))
        }
    }

    @Test func recoveryPolicyCountsAttempts() {
        let limited = RecoveryPolicy(enabled: true, maxAttempts: 3)
        #expect(limited.allowsAnotherAttempt(afterFailures: 2))
        #expect(!limited.allowsAnotherAttempt(afterFailures: 3))
        #expect(RecoveryPolicy.forever().allowsAnotherAttempt(afterFailures: 1_000_000))
        #expect(!RecoveryPolicy(enabled: false).allowsAnotherAttempt(afterFailures: 0))
    }
}

@Suite struct ErrorClassificationTests {
    @Test(arguments: [3, 5, 7, 11, 12, 16])
    func nonRetryableStatuses(code: Int) {
        #expect(!ZerobusError(.grpcStatus(.init(rawValue: code)), "x").isRetryable)
    }

    @Test(arguments: [0, 1, 2, 4, 6, 8, 9, 10, 13, 14, 15, 99])
    func retryableStatuses(code: Int) {
        #expect(ZerobusError(.grpcStatus(.init(rawValue: code)), "x").isRetryable)
    }

    @Test func oneClassifierDecidesAuthDataAndConfigurationFailures() {
        #expect(ZerobusError.classify(.unauthenticated) == .authRejected)
        #expect(ZerobusError.classify(.permissionDenied) == .authRejected)
        #expect(ZerobusError.classify(.invalidArgument) == .dataRejected)
        #expect(ZerobusError.classify(.outOfRange) == .dataRejected)
        #expect(ZerobusError.classify(.notFound) == .misconfigured)
        #expect(ZerobusError.classify(.unimplemented) == .misconfigured)
        #expect(ZerobusError.classify(.unavailable) == .transient)
        #expect(ZerobusError(.grpcStatus(.outOfRange), "x").isDataRejection)
        #expect(!ZerobusError(.grpcStatus(.unavailable), "x").isDataRejection)
        #expect(ZerobusError(.transport, "x").statusClass == nil)
    }

    @Test func clientSideClasses() {
        #expect(ZerobusError(.transport, "x").isRetryable)
        #expect(ZerobusError(.ackTimeout, "x").isRetryable)
        #expect(!ZerobusError(.invalidArgument, "x").isRetryable)
        #expect(!ZerobusError(.tokenFetch, "401", retryable: false).isRetryable)
        #expect(ZerobusError(.tokenFetch, "503", retryable: true).isRetryable)
    }

    @Test func authRejectionsAreRecognised() {
        #expect(ZerobusError(.grpcStatus(.unauthenticated), "x").isAuthRejection)
        #expect(ZerobusError(.grpcStatus(.permissionDenied), "x").isAuthRejection)
        #expect(!ZerobusError(.grpcStatus(.unavailable), "x").isAuthRejection)
    }

    @Test func descriptionNamesTheStatus() {
        #expect(ZerobusError(.grpcStatus(.unavailable), "server going away").description == "UNAVAILABLE (14): server going away")
    }
}
