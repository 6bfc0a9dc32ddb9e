import Foundation
import Mosquitto
import Testing

/// Receiving, publishing, retained messages, persistent sessions and pause/resume against a
/// real mosquitto started by each test.
@Suite struct MessagingTests {
    @Test func receivesQoS1MessagesFromMosquittoPub() throws {
        let broker = try TestBroker()
        let (client, recorder) = try startClient(testOptions(broker, clientID: "receiver", subscriptions: ["sensors/#"]))
        defer { client.stop() }
        #expect(recorder.waitForEvent { $0.isSubscribed })
        #expect(client.isConnected)
        #expect(recorder.events.first == .connected(sessionPresent: false))

        for index in 1...3 {
            try broker.publish("sensors/dev\(index)/temp", "{\"value\":\(index)}")
        }
        #expect(recorder.waitForMessages(count: 3))
        let messages = recorder.messages
        #expect(messages.map(\.topic) == ["sensors/dev1/temp", "sensors/dev2/temp", "sensors/dev3/temp"])
        #expect(messages.map(\.text) == ["{\"value\":1}", "{\"value\":2}", "{\"value\":3}"])
        #expect(messages.allSatisfy { $0.qos == 1 && !$0.retained && $0.mid > 0 })
    }

    @Test func retainedPublishReachesALaterSubscriber() throws {
        let broker = try TestBroker()
        // The publisher subscribes to its own topic: receiving its message proves the broker
        // has stored it before the second client subscribes.
        let (publisher, published) = try startClient(
            testOptions(broker, clientID: "status-publisher", subscriptions: ["gw/1/status"]))
        defer { publisher.stop() }
        #expect(published.waitForEvent { $0.isSubscribed })
        try publisher.publish(topic: "gw/1/status", payload: Array("{\"state\":\"online\"}".utf8), qos: 1, retain: true)
        #expect(published.waitForMessages(count: 1))

        let (subscriber, received) = try startClient(
            testOptions(broker, clientID: "late-subscriber", subscriptions: ["gw/+/status"]))
        defer { subscriber.stop() }
        #expect(received.waitForMessages(count: 1))
        let message = try #require(received.messages.first)
        #expect(message.retained)
        #expect(message.topic == "gw/1/status")
        #expect(message.text == "{\"state\":\"online\"}")
    }

    @Test func persistentSessionKeepsMessagesPublishedWhileStopped() throws {
        let broker = try TestBroker()
        let options = testOptions(broker, clientID: "edge-persistent", subscriptions: ["readings/#"])
        let (first, firstRecorder) = try startClient(options)
        #expect(firstRecorder.waitForEvent { $0.isSubscribed })
        first.stop()
        #expect(!first.isConnected)
        #expect(broker.waitForLog("Client edge-persistent disconnected."))

        try broker.publishLines("readings/line", (1...50).map { "reading-\($0)" })

        let (second, recorder) = try startClient(options)
        defer { second.stop() }
        #expect(recorder.waitForMessages(count: 50))
        #expect(recorder.messages.map(\.text) == (1...50).map { "reading-\($0)" })
        #expect(recorder.events.first == .connected(sessionPresent: true))
        // The session kept the subscription, so the client did not subscribe again. A SUBSCRIBE
        // would have been queued in the CONNACK callback, before any PUBACK, so once the broker
        // has logged the last PUBACK it would have logged the SUBSCRIBE too.
        let lastMid = try #require(recorder.messages.last?.mid)
        #expect(broker.waitForLog("Received PUBACK from edge-persistent (Mid: \(lastMid),"))
        #expect(broker.log.components(separatedBy: "Received SUBSCRIBE from edge-persistent").count - 1 == 1)
        #expect(recorder.count { $0.isSubscribed } == 0)
    }

    @Test func pauseLetsTheBrokerQueueAndResumeCollects() throws {
        let broker = try TestBroker()
        let (client, recorder) = try startClient(testOptions(broker, clientID: "pausing", subscriptions: ["in/#"]))
        defer { client.stop() }
        #expect(recorder.waitForEvent { $0.isSubscribed })
        try broker.publish("in/a", "before")
        #expect(recorder.waitForMessages(count: 1))

        client.pause()
        #expect(recorder.waitForEvent { $0.isDisconnected })
        #expect(!client.isConnected)
        #expect(broker.waitForLog("Client pausing disconnected."))
        for index in 1...10 { try broker.publish("in/a", "queued-\(index)") }
        // Nothing is delivered while paused: the broker logs queuing, not sending, and the
        // client has no connection to receive on.
        #expect(recorder.messages.count == 1)
        // While away, QoS 0 cannot be sent; QoS 1 is kept by libmosquitto and sent on reconnect.
        do {
            try client.publish(topic: "in/own", payload: Array("qos0".utf8), qos: 0)
            Issue.record("a QoS 0 publish while paused must fail")
        } catch {
            #expect(error.code == .notConnected)
        }
        try client.publish(topic: "in/own", payload: Array("qos1".utf8), qos: 1)

        client.resume()
        #expect(recorder.waitForMessages(count: 12))
        let afterResume = recorder.messages.dropFirst().map(\.text)
        #expect(afterResume.filter { $0 != "qos1" } == (1...10).map { "queued-\($0)" })
        #expect(afterResume.contains("qos1"))
        #expect(recorder.count { $0 == .connected(sessionPresent: true) } == 1)
        #expect(client.isConnected)
    }

    @Test func stopFromInsideTheMessageHandlerDoesNotDeadlock() throws {
        let broker = try TestBroker()
        let recorder = Recorder()
        let holder = ClientHolder()
        let client = try MQTTClient(
            options: testOptions(broker, clientID: "self-stopping", subscriptions: ["halt"]),
            onMessage: { message in
                recorder.record(message)
                holder.client?.stop()
            },
            onEvent: { recorder.record($0) })
        holder.client = client
        try client.start()
        #expect(recorder.waitForEvent { $0.isSubscribed })
        try broker.publish("halt", "now")
        #expect(recorder.waitForMessages(count: 1))
        #expect(broker.waitForLog("Client self-stopping disconnected."))
        client.stop()
        #expect(throws: MQTTError.self) { try client.publish(topic: "x", payload: []) }
    }
}

/// Lets a handler reach the client it was created with.
/// `@unchecked Sendable`: set once before `start()`, only read afterwards.
final class ClientHolder: @unchecked Sendable {
    var client: MQTTClient?
}
