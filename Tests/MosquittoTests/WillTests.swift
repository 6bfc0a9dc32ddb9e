import Foundation
import Mosquitto
import Testing

/// The last will: published by the broker when the connection dies, not after a clean stop.
@Suite struct WillTests {
    private let willPayload = Array("{\"state\":\"offline\",\"cause\":\"lwt\"}".utf8)

    private func deviceOptions(port: Int, clientID: String) -> MQTTOptions {
        MQTTOptions(
            host: "127.0.0.1", port: port, clientID: clientID,
            will: MQTTWill(topic: "gw/7/status", payload: willPayload, qos: 1, retain: true),
            reconnectDelayMin: .milliseconds(100), reconnectDelayMax: .seconds(1))
    }

    @Test func brokerPublishesTheWillWhenTheConnectionDies() throws {
        let broker = try TestBroker()
        let (observer, observed) = try startClient(testOptions(broker, clientID: "observer", subscriptions: ["gw/#"]))
        defer { observer.stop() }
        #expect(observed.waitForEvent { $0.isSubscribed })

        let proxy = try TCPProxy(to: broker.port)
        let (device, deviceEvents) = try startClient(deviceOptions(port: proxy.port, clientID: "lwt-device"))
        defer { device.stop() }
        #expect(deviceEvents.waitForEvent { $0.isConnected(sessionPresent: false) })
        try device.publish(topic: "gw/7/status", payload: Array("{\"state\":\"online\"}".utf8), qos: 1, retain: true)
        #expect(observed.waitForMessages(count: 1, topic: "gw/7/status"))

        proxy.kill()
        #expect(observed.waitForMessages(count: 2, topic: "gw/7/status"))
        #expect(observed.messages.last?.payload == willPayload)
        #expect(broker.log.contains("Client lwt-device closed its connection."))
        #expect(deviceEvents.waitForEvent { $0.isDisconnected })

        // The will was retained: a newcomer reads "offline".
        let (late, lateRecorder) = try startClient(testOptions(broker, clientID: "late", subscriptions: ["gw/7/status"]))
        defer { late.stop() }
        #expect(lateRecorder.waitForMessages(count: 1))
        #expect(lateRecorder.messages.first?.payload == willPayload)
        #expect(lateRecorder.messages.first?.retained == true)
    }

    @Test func cleanStopSendsTheLastPublishAndNoWill() throws {
        let broker = try TestBroker()
        let (observer, observed) = try startClient(testOptions(broker, clientID: "observer", subscriptions: ["gw/#"]))
        defer { observer.stop() }
        #expect(observed.waitForEvent { $0.isSubscribed })

        let (device, deviceEvents) = try startClient(deviceOptions(port: broker.port, clientID: "clean-device"))
        #expect(deviceEvents.waitForEvent { $0.isConnected(sessionPresent: false) })
        // What the agent does on shutdown: retained "offline" status, then stop() at once.
        let goodbye = Array("{\"state\":\"offline\"}".utf8)
        try device.publish(topic: "gw/7/status", payload: goodbye, qos: 1, retain: true)
        device.stop()
        #expect(deviceEvents.events.last == .disconnected(reason: "disconnected by the client"))

        #expect(observed.waitForMessages(count: 1, topic: "gw/7/status"))
        #expect(observed.messages.first?.payload == goodbye)
        #expect(broker.waitForLog("Client clean-device disconnected."))
        // Had the broker published the will, it would have done so while handling the
        // disconnect, i.e. before it handles this later marker from the observer.
        try observer.publish(topic: "gw/marker", payload: [1], qos: 1)
        #expect(observed.waitForMessages(count: 1, topic: "gw/marker"))
        #expect(!observed.messages.contains { $0.payload == willPayload })
    }
}

/// pause() and stop() while the broker is busy delivering: the DISCONNECT must still be clean
/// (libmosquitto drops the connection without one if a packet is read after
/// mosquitto_disconnect() but before the DISCONNECT is written; the broker then publishes the
/// will although the client shut down on purpose).
@Suite struct CleanDisconnectUnderLoadTests {
    /// How the broker ended the client's connection, once it has: "clean" or the log line.
    private func ending(of clientID: String, in broker: TestBroker, occurrence: Int) -> String? {
        let clean = "Client \(clientID) disconnected."
        let abrupt = ["Client \(clientID) closed its connection.", "Socket error on client \(clientID)"]
        var result: String?
        _ = waitUntil(timeout: 10) {
            let log = broker.log
            let ends = log.components(separatedBy: "\n").filter { line in
                line.contains(clean) || abrupt.contains { line.contains($0) }
            }
            guard ends.count >= occurrence else { return false }
            result = ends[occurrence - 1].contains(clean) ? "clean" : ends[occurrence - 1]
            return true
        }
        return result
    }

    @Test func pauseAndStopDuringAFloodAreCleanDisconnects() throws {
        let broker = try TestBroker()
        var options = testOptions(broker, clientID: "flooded", subscriptions: ["flood/#"])
        options.will = MQTTWill(topic: "status/flooded", payload: Array("lwt".utf8))
        let (client, recorder) = try startClient(options)
        defer { client.stop() }
        #expect(recorder.waitForEvent { $0.isSubscribed })

        let lines = (1...20_000).map { "message-\($0)" }
        let flood = try broker.startPublishingLines("flood/x", lines)
        defer { flood.terminate(); flood.waitUntilExit() }
        #expect(recorder.waitForMessages(count: 200, timeout: 20))
        client.pause()
        #expect(ending(of: "flooded", in: broker, occurrence: 1) == "clean")

        let received = recorder.messages.count
        client.resume()
        #expect(recorder.waitForMessages(count: received + 200, timeout: 20))
        client.stop()
        #expect(ending(of: "flooded", in: broker, occurrence: 2) == "clean")
    }
}
