import Foundation
import Mosquitto
import Testing

/// The property the agent's durability rests on: the broker receives the PUBACK for a QoS 1
/// message only after `onMessage` has returned, so a handler that commits the message before
/// returning never has it acknowledged but not stored.
///
/// What is observed: the broker's own log (`log_type all`), which it writes in the order it
/// processes packets. While the handler is held, the test makes a round trip through the
/// broker with another client (`mosquitto_pub` exits only after the broker has processed its
/// PUBLISH) and then watches for a bounded window of 500 ms; the PUBACK must not be logged.
/// The window is the one non-causal part: it cannot prove "never", only "not within 500 ms
/// while the handler was blocked", after everything the client wrote before the handler ran
/// would long have been processed. Then the handler is released and the PUBACK must appear,
/// after the marker in the log.
///
/// Both tests run under MQTT 3.1.1 and v5: libmosquitto 2.0 handles a v5 PUBLISH the same way
/// (see ClientCore+Callbacks), and these tests are what shows it.
///
/// Negative control (done by hand when this was written): with `mosquitto_threaded_set(false)`
/// libmosquitto writes the PUBACK inside its read path before calling on_message, and both
/// tests fail — the PUBACK is logged before the marker and within the window.
@Suite struct PubackOrderingTests {
    private static let window: TimeInterval = 0.5

    @Test(arguments: MQTTProtocolVersion.allCases)
    func pubackReachesTheBrokerOnlyAfterTheHandlerReturns(protocolVersion: MQTTProtocolVersion) throws {
        let broker = try TestBroker()
        let gate = HandlerGate()
        let recorder = Recorder()
        let client = try MQTTClient(
            options: testOptions(broker, clientID: "puback-probe", subscriptions: ["probe/#"], protocolVersion: protocolVersion),
            onMessage: { message in
                recorder.record(message)
                gate.hold()
            },
            onEvent: { recorder.record($0) })
        defer { client.stop() }
        try client.start()
        #expect(recorder.waitForEvent { $0.isSubscribed })

        try broker.publish("probe/hold", "reading", clientID: "sensor")
        #expect(gate.waitUntilEntered(count: 1))
        let mid = try #require(recorder.messages.first?.mid)
        #expect(broker.log.contains("Sending PUBLISH to puback-probe (d0, q1, r0, m\(mid), 'probe/hold'"))

        try broker.publish("elsewhere/marker", "m", clientID: "marker")
        Thread.sleep(forTimeInterval: Self.window)  // the bounded window described above
        let puback = "Received PUBACK from puback-probe (Mid: \(mid),"
        let acknowledgedEarly = broker.log.contains(puback)
        #expect(!acknowledgedEarly, "PUBACK reached the broker while onMessage was still running")

        gate.releaseOne()
        #expect(broker.waitForLog(puback))
        let log = broker.log
        let marker = try #require(log.range(of: "Received PUBLISH from marker"))
        let ack = try #require(log.range(of: puback))
        #expect(marker.lowerBound < ack.lowerBound)
    }

    /// Several messages read in one batch: each one's PUBACK still waits for its own handler.
    @Test(arguments: MQTTProtocolVersion.allCases)
    func eachMessageOfABatchIsAcknowledgedOnlyAfterItsHandler(protocolVersion: MQTTProtocolVersion) throws {
        let broker = try TestBroker()
        let gate = HandlerGate()
        let recorder = Recorder()
        let client = try MQTTClient(
            options: testOptions(broker, clientID: "batch-probe", subscriptions: ["batch/#"], protocolVersion: protocolVersion),
            onMessage: { message in
                recorder.record(message)
                gate.hold()
            },
            onEvent: { recorder.record($0) })
        defer { client.stop() }
        try client.start()
        #expect(recorder.waitForEvent { $0.isSubscribed })

        try broker.publishLines("batch/x", ["one", "two", "three"])
        for index in 1...3 {
            #expect(gate.waitUntilEntered(count: index))
            let mid = try #require(recorder.messages.last?.mid)
            Thread.sleep(forTimeInterval: Self.window)  // bounded window, see the suite comment
            let acknowledgedEarly = broker.log.contains("Received PUBACK from batch-probe (Mid: \(mid),")
            #expect(!acknowledgedEarly, "PUBACK for message \(index) arrived while its handler ran")
            gate.releaseOne()
        }
        for message in recorder.messages {
            #expect(broker.waitForLog("Received PUBACK from batch-probe (Mid: \(message.mid),"))
        }
        #expect(recorder.messages.map(\.text) == ["one", "two", "three"])
    }
}

/// Holds each `onMessage` call until the test releases it.
/// `@unchecked Sendable`: all state is accessed with `condition` locked.
final class HandlerGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var entered = 0
    private var released = 0

    /// Called by the handler on the network thread; gives up after 30 s so a failing test
    /// cannot hang the run.
    func hold() {
        condition.lock()
        defer { condition.unlock() }
        entered += 1
        condition.broadcast()
        let ticket = entered
        let deadline = Date().addingTimeInterval(30)
        while released < ticket {
            if !condition.wait(until: deadline) { return }
        }
    }

    func waitUntilEntered(count: Int, timeout: TimeInterval = 10) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while entered < count {
            if !condition.wait(until: deadline) { return entered >= count }
        }
        return true
    }

    func releaseOne() {
        condition.lock()
        released += 1
        condition.broadcast()
        condition.unlock()
    }
}
