import Foundation
import Testing
@testable import GRPCTransport

/// All tests that start python servers run one at a time (the machine has two cores, and the
/// proxy-environment test changes process environment variables).
@Suite(.serialized) struct Integration {}

extension Integration {
    @Suite struct GRPCCalls {
        @Test func bidiEcho_overTLS_tenThousandMessages() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                let connection = try await HTTP2Connection.connect(to: try server.tlsEndpoint(), options: try server.tlsOptions())
                try await expectEcho(of: 10_000, over: connection)
                await connection.close()
            }
        }

        @Test func bidiEcho_overH2C_tenThousandMessages() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                var options = ConnectionOptions()
                options.proxy = .none
                let connection = try await HTTP2Connection.connect(to: try server.h2cEndpoint(), options: options)
                try await expectEcho(of: 10_000, over: connection)
                await connection.close()
            }
        }

        /// Sends in batches from another task while the events are consumed, like a real producer.
        private func expectEcho(of count: Int, over connection: HTTP2Connection) async throws {
            let messages = numberedMessages(count)
            let call = try connection.startCall(path: "/test.Echo/Bidi", metadata: [HeaderField("X-Test-Case", "echo")])
            let started = ContinuousClock.now
            let producer = Task {
                for batch in stride(from: 0, to: messages.count, by: 250) {
                    call.send(contentsOf: Array(messages[batch..<min(batch + 250, messages.count)]))
                    await Task.yield()
                }
                call.finishSending()
            }
            let outcome = await call.collect()
            await producer.value
            let elapsed = ContinuousClock.now - started
            print("echoed \(count) messages in \(elapsed) over \(connection.endpoint.scheme)")
            #expect(outcome.status == .ok)
            #expect(outcome.headerEvents == 1 && outcome.finishedEvents == 1)
            #expect(outcome.responseHeaders?.first(named: ":status") == "200")
            #expect(outcome.messages.count == count)
            #expect(outcome.messages == messages)
            #expect(outcome.trailers.first(named: "x-echo-count") == "\(count)")
            #expect(call.bufferedOutboundBytes == 0)
        }

        /// Client streaming of many small messages; prints the rate and this process's CPU time per
        /// message (the python server is the bottleneck for the wall-clock rate).
        @Test func clientStreaming_twoHundredThousandSmallMessages() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                let connection = try await HTTP2Connection.connect(to: try server.tlsEndpoint(), options: try server.tlsOptions())
                let message = [UInt8](repeating: 0x5A, count: 60)
                let count = 200_000
                let cpuBefore = processCPUTime()
                let started = ContinuousClock.now
                let call = try connection.startCall(path: "/test.Echo/Sink", metadata: [])
                for _ in 0..<(count / 1000) {
                    call.send(contentsOf: Array(repeating: message, count: 1000))
                    // Backpressure as a producer would apply it: at most 1 MiB queued.
                    await call.waitForOutboundSpace(below: 1 << 20)
                    #expect(call.bufferedOutboundBytes < (1 << 20) + 1000 * (message.count + 5))
                }
                call.finishSending()
                let outcome = await call.collect()
                let elapsed = ContinuousClock.now - started
                let cpu = processCPUTime() - cpuBefore
                print("streamed \(count) messages in \(elapsed); client CPU \(cpu) (\(cpu / count) per message)")
                #expect(outcome.status == .ok)
                #expect(outcome.messages.first.map { String(decoding: $0, as: UTF8.self) } == "\(count) \(count * message.count)")
                await connection.close()
            }
        }

        @Test func largeMessages_areSplitAcrossFramesBothWays() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                let connection = try await HTTP2Connection.connect(to: try server.tlsEndpoint(), options: try server.tlsOptions())
                let messages = [16 * 1024 + 1, 100_000, 4_000_000, 1].map { size in
                    (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ size) }
                }
                let outcome = try await connection.exchange(path: "/test.Echo/Bidi", messages: messages)
                #expect(outcome.status == .ok)
                #expect(outcome.messages.map(\.count) == messages.map(\.count))
                #expect(outcome.messages == messages)
                await connection.close()
            }
        }

        @Test func unknownMethod_isATrailersOnlyUnimplemented() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                let connection = try await HTTP2Connection.connect(to: try server.tlsEndpoint(), options: try server.tlsOptions())
                let outcome = try await connection.exchange(path: "/test.Echo/NoSuchMethod", messages: [[1]])
                #expect(outcome.status.code == .unimplemented)
                #expect(outcome.headerEvents == 0)
                #expect(outcome.messages.isEmpty && outcome.finishedEvents == 1)
                #expect(outcome.trailers.first(named: "grpc-status") == "12")
                await connection.close()
            }
        }

        @Test func abortedCall_propagatesCodeAndDecodedMessage() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                let connection = try await HTTP2Connection.connect(to: try server.h2cEndpoint(), options: {
                    var options = ConnectionOptions()
                    options.proxy = .none
                    return options
                }())
                let reason = "bad thing: 100% ✓ done"
                let outcome = try await connection.exchange(path: "/test.Echo/Abort", metadata: [HeaderField("x-abort-code", "9")],
                                                            messages: [Array(reason.utf8)])
                #expect(outcome.status == GRPCStatus(code: .failedPrecondition, message: reason))
                #expect(outcome.finishedEvents == 1)
                await connection.close()
            }
        }

        @Test func serverKilled_finishesOpenCallsWithUnavailable() async throws {
            let server = try await FixtureServer.start("grpc_echo_server.py")
            defer { server.stop() }
            let connection = try await HTTP2Connection.connect(to: try server.tlsEndpoint(), options: try server.tlsOptions())
            let call = try connection.startCall(path: "/test.Echo/Bidi", metadata: [])
            call.send(Array("ping".utf8))
            var events = call.events.makeAsyncIterator()
            var sawEcho = false
            var finalStatus: GRPCStatus?
            while let event = await events.next() {
                switch event {
                case .responseHeaders: continue
                case .message(let message):
                    #expect(message == Array("ping".utf8))
                    sawEcho = true
                    server.kill()  // the call is known to be live; now take the server away
                case .finished(let status, _):
                    finalStatus = status
                }
            }
            #expect(sawEcho)
            #expect(finalStatus?.code == .unavailable)
            #expect(finalStatus?.message.contains("lost") == true)
            #expect(connection.isClosed)
            let error = await transportError { () throws(TransportError) in try connection.startCall(path: "/test.Echo/Bidi", metadata: []) }
            #expect(error?.kind == .closed)
        }

        /// After the server vanished from an idle connection, a new call either is refused with
        /// `.closed` (the loss was already noticed) or finishes with UNAVAILABLE; it never hangs.
        @Test func serverKilledWhileIdle_newCallsFailFast() async throws {
            let server = try await FixtureServer.start("grpc_echo_server.py")
            defer { server.stop() }
            let connection = try await HTTP2Connection.connect(to: try server.h2cEndpoint(), options: {
                var options = ConnectionOptions()
                options.proxy = .none
                return options
            }())
            #expect(try await connection.echoServerCallCount() == 0)
            server.kill()
            do {
                let outcome = try await connection.exchange(path: "/test.Echo/Bidi", messages: [[1]])
                #expect(outcome.status.code == .unavailable)
            } catch let error as TransportError {
                #expect(error.kind == .closed)
            }
            await connection.close()
        }

        @Test func cancel_resetsTheStreamAndFinishesWithCancelled() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                let connection = try await HTTP2Connection.connect(to: try server.tlsEndpoint(), options: try server.tlsOptions())
                let call = try connection.startCall(path: "/test.Echo/Bidi", metadata: [])
                call.send([1, 2, 3])
                var events = call.events.makeAsyncIterator()
                var statuses: [GRPCStatus] = []
                while let event = await events.next() {
                    if case .message = event { call.cancel() }
                    if case .finished(let status, _) = event { statuses.append(status) }
                }
                #expect(statuses.map(\.code) == [GRPCStatus.Code.cancelled])
                // The connection survives a cancelled stream.
                #expect(try await connection.echoServerCallCount() == 1)
                await connection.close()
            }
        }

        @Test func close_endsPendingCallsAndRefusesNewOnes() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                let connection = try await HTTP2Connection.connect(to: try server.tlsEndpoint(), options: try server.tlsOptions())
                let call = try connection.startCall(path: "/test.Echo/Bidi", metadata: [])
                call.send([42])
                var events = call.events.makeAsyncIterator()
                var finalStatus: GRPCStatus?
                while let event = await events.next() {
                    if case .message = event { await connection.close() }
                    if case .finished(let status, _) = event { finalStatus = status }
                }
                #expect(finalStatus?.code == .cancelled)
                #expect(connection.isClosed)
                await connection.close()  // idempotent
                let error = await transportError { () throws(TransportError) in try connection.startCall(path: "/test.Echo/Bidi", metadata: []) }
                #expect(error?.kind == .closed)
            }
        }

        @Test func manyConcurrentCalls_onOneConnection() async throws {
            try await FixtureServer.with("grpc_echo_server.py") { server in
                let connection = try await HTTP2Connection.connect(to: try server.tlsEndpoint(), options: try server.tlsOptions())
                let outcomes = try await withThrowingTaskGroup(of: (Int, CallOutcome).self) { group in
                    for index in 0..<20 {
                        group.addTask {
                            (index, try await connection.exchange(path: "/test.Echo/Bidi", messages: numberedMessages(index * 10)))
                        }
                    }
                    return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
                }
                for (index, outcome) in outcomes {
                    #expect(outcome.status == .ok)
                    #expect(outcome.messages == numberedMessages(index * 10))
                }
                await connection.close()
            }
        }
    }
}
