import Foundation
@testable import GRPCTransport

/// Everything a call produced, collected from its event stream.
struct CallOutcome {
    var responseHeaders: [HeaderField]?
    var headerEvents = 0
    var messages: [[UInt8]] = []
    var status = GRPCStatus(code: .init(rawValue: -1))
    var trailers: [HeaderField] = []
    var finishedEvents = 0
}

extension GRPCCall {
    func collect() async -> CallOutcome {
        var outcome = CallOutcome()
        for await event in events {
            switch event {
            case .responseHeaders(let headers):
                outcome.responseHeaders = headers
                outcome.headerEvents += 1
            case .message(let message):
                outcome.messages.append(message)
            case .finished(let status, let trailers):
                outcome.status = status
                outcome.trailers = trailers
                outcome.finishedEvents += 1
            }
        }
        return outcome
    }
}

extension HTTP2Connection {
    /// Sends `messages` (then half-closes) and collects everything that comes back.
    func exchange(path: String, metadata: [HeaderField] = [], messages: [[UInt8]]) async throws -> CallOutcome {
        let call = try startCall(path: path, metadata: metadata)
        call.send(contentsOf: messages)
        call.finishSending()
        return await call.collect()
    }

    /// Number of calls to other methods the echo server has seen.
    func echoServerCallCount() async throws -> Int {
        let outcome = try await exchange(path: "/test.Echo/Count", messages: [[]])
        guard outcome.status.isOK, let reply = outcome.messages.first, let count = Int(String(decoding: reply, as: UTF8.self)) else {
            throw FixtureError(description: "Count failed: \(outcome.status)")
        }
        return count
    }
}

extension FixtureServer {
    /// Options trusting only this server's test CA, without any proxy.
    func tlsOptions(caKey: String = "ca") throws -> ConnectionOptions {
        var options = ConnectionOptions()
        options.useSystemTrustStore = false
        options.extraCAFile = try path(caKey)
        options.proxy = .none
        options.connectTimeout = .seconds(10)
        return options
    }

    func tlsEndpoint(host: String = "localhost") throws -> Endpoint {
        Endpoint(scheme: .https, host: host, port: try port("tls"))
    }

    func h2cEndpoint() throws -> Endpoint {
        Endpoint(scheme: .http, host: "127.0.0.1", port: try port("h2c"))
    }
}

/// Runs `body` and returns the TransportError it throws (nil when it succeeds).
func transportError<T>(_ body: () async throws(TransportError) -> T) async -> TransportError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error
    }
}

func numberedMessages(_ count: Int) -> [[UInt8]] {
    (0..<count).map { index in Array("message-\(index)-".utf8) + Array(repeating: UInt8(index % 251), count: index % 64) }
}

/// User plus system CPU time of this process so far.
func processCPUTime() -> Duration {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let micros = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1_000_000 + Int(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
    return .microseconds(micros)
}
