import Foundation
import Mosquitto
import Testing

/// MQTT v5 against a real mosquitto: message properties, the session expiry that keeps a
/// persistent session, and shared subscriptions.
@Suite struct MQTTv5Tests {
    /// `mosquitto_pub -V 5` with the given `-D publish …` properties.
    private func publishV5(_ broker: TestBroker, _ topic: String, _ message: String, properties: [[String]]) throws {
        var arguments = ["-h", "127.0.0.1", "-p", String(broker.port), "-V", "5", "-q", "1", "-t", topic, "-m", message]
        for property in properties { arguments += ["-D", "publish"] + property }
        try runTool("/usr/bin/mosquitto_pub", arguments)
    }

    @Test func aV5DeliveryCarriesItsProperties() throws {
        let broker = try TestBroker()
        let (v5, received) = try startClient(
            testOptions(broker, clientID: "v5-reader", subscriptions: ["props/#"], protocolVersion: .v5))
        defer { v5.stop() }
        let (v311, receivedWithout) = try startClient(testOptions(broker, clientID: "v311-reader", subscriptions: ["props/#"]))
        defer { v311.stop() }
        #expect(received.waitForEvent { $0.isSubscribed })
        #expect(receivedWithout.waitForEvent { $0.isSubscribed })

        try publishV5(broker, "props/a", "{\"v\":1}", properties: [
            ["content-type", "application/json"], ["response-topic", "replies/a"],
            ["user-property", "site", "berlin"], ["user-property", "line", "7"], ["user-property", "site", "hamburg"],
            ["message-expiry-interval", "3600"],
        ])
        #expect(received.waitForMessages(count: 1))
        let message = try #require(received.messages.first)
        #expect(message.text == "{\"v\":1}")
        #expect(message.properties.contentType == "application/json")
        #expect(message.properties.responseTopic == "replies/a")
        #expect(message.properties.userProperties == [
            MQTTUserProperty(name: "site", value: "berlin"), MQTTUserProperty(name: "line", value: "7"),
            MQTTUserProperty(name: "site", value: "hamburg"),
        ])
        #expect(message.properties.userProperty("site") == "berlin")
        // The broker forwards what is left of the interval: at most the 3600 s published.
        let expiry = try #require(message.properties.messageExpiryInterval)
        #expect((3590...3600).contains(expiry))

        // The same message to a 3.1.1 subscriber: no properties at all.
        #expect(receivedWithout.waitForMessages(count: 1))
        #expect(receivedWithout.messages.first?.properties.isEmpty == true)

        try publishV5(broker, "props/b", "plain", properties: [])
        #expect(received.waitForMessages(count: 2))
        #expect(received.messages.last?.properties.isEmpty == true)
    }

    /// clean_start = false alone does not keep a v5 session: the client must send a Session
    /// Expiry Interval. The control (interval 0) shows the test can tell the difference.
    @Test(arguments: [(UInt32.max, true), (0, false)])
    func aPersistentV5SessionKeepsMessagesOnlyWithASessionExpiry(interval: UInt32, kept: Bool) throws {
        let broker = try TestBroker()
        var options = testOptions(broker, clientID: "v5-persistent", subscriptions: ["readings/#"], protocolVersion: .v5)
        options.sessionExpiryInterval = interval
        let (first, firstRecorder) = try startClient(options)
        #expect(firstRecorder.waitForEvent { $0.isSubscribed })
        first.stop()
        #expect(broker.waitForLog("Client v5-persistent disconnected."))

        try broker.publishLines("readings/line", (1...20).map { "reading-\($0)" })

        let (second, recorder) = try startClient(options)
        defer { second.stop() }
        #expect(recorder.waitForEvent { $0.isConnected(sessionPresent: kept) })
        if kept {
            #expect(recorder.waitForMessages(count: 20))
            #expect(recorder.messages.map(\.text) == (1...20).map { "reading-\($0)" })
        } else {
            // A fresh session subscribes again; a marker published after that arrives, the
            // 20 readings published while no session existed do not.
            #expect(recorder.waitForEvent { $0.isSubscribed })
            try broker.publish("readings/marker", "marker")
            #expect(recorder.waitForMessages(count: 1))
            #expect(recorder.messages.map(\.text) == ["marker"])
        }
    }

    /// Two clients on one `$share` group: each message goes to exactly one of them.
    @Test func aSharedSubscriptionSplitsMessagesBetweenItsMembers() throws {
        let broker = try TestBroker()
        let filter = "$share/edge/shared/#"
        let (one, first) = try startClient(testOptions(broker, clientID: "member-1", subscriptions: [filter], protocolVersion: .v5))
        defer { one.stop() }
        let (two, second) = try startClient(testOptions(broker, clientID: "member-2", subscriptions: [filter], protocolVersion: .v5))
        defer { two.stop() }
        #expect(first.waitForEvent { $0.isSubscribed })
        #expect(second.waitForEvent { $0.isSubscribed })

        let lines = (1...100).map { "m-\($0)" }
        try broker.publishLines("shared/x", lines)
        #expect(waitUntil(timeout: 10) { first.messages.count + second.messages.count >= 100 })
        let all = first.messages + second.messages
        #expect(all.allSatisfy { $0.topic == "shared/x" })  // the real topic, not the $share form
        #expect(all.map(\.text).sorted() == lines.sorted())
        #expect(!first.messages.isEmpty && !second.messages.isEmpty)
    }
}
