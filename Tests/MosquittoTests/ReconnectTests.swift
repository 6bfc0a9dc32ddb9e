import Foundation
import Mosquitto
import Testing

/// The broker goes away and comes back on the same port; the client must reconnect by itself.
@Suite struct ReconnectTests {
    @Test func brokerRestartWithPersistenceKeepsTheSession() throws {
        let broker = try TestBroker { directory, ports in
            """
            listener \(ports[0]) 127.0.0.1
            allow_anonymous true
            persistence true
            persistence_location \(directory.path)/
            """
        }
        let (client, recorder) = try startClient(
            testOptions(broker, clientID: "restart-persistent", subscriptions: ["plant/#"]))
        defer { client.stop() }
        #expect(recorder.waitForEvent { $0.isSubscribed })

        try broker.restart()
        #expect(FileManager.default.fileExists(atPath: "\(broker.directory.path)/mosquitto.db"))
        #expect(recorder.waitForEvent { $0.isDisconnected })
        // The broker restored the session from its persistence file: no new SUBSCRIBE needed.
        #expect(recorder.waitForEvent { $0.isConnected(sessionPresent: true) })
        try broker.publish("plant/line1", "after-restart")
        #expect(recorder.waitForMessages(count: 1))
        #expect(recorder.messages.first?.text == "after-restart")
        #expect(recorder.count { $0.isSubscribed } == 1)
        #expect(client.isConnected)
    }

    @Test func brokerRestartWithoutPersistenceResubscribes() throws {
        let broker = try TestBroker()
        let (client, recorder) = try startClient(
            testOptions(broker, clientID: "restart-volatile", subscriptions: ["plant/#", "alarms/+"]))
        defer { client.stop() }
        #expect(recorder.waitForEvent { $0.isSubscribed })

        try broker.restart()
        #expect(recorder.waitForEvent { $0.isDisconnected })
        // The session is gone (sessionPresent false), so the client subscribes again.
        #expect(recorder.waitForEvent(count: 2) { $0.isConnected(sessionPresent: false) })
        #expect(recorder.waitForEvent(count: 2) { $0.isSubscribed })
        try broker.publish("plant/line1", "first")
        try broker.publish("alarms/overheat", "second")
        #expect(recorder.waitForMessages(count: 2))
        #expect(recorder.messages.map(\.text) == ["first", "second"])
    }

    @Test func keepsRetryingWhileTheBrokerIsDownAndReportsWhy() throws {
        let broker = try TestBroker()
        broker.stop()
        let (client, recorder) = try startClient(
            testOptions(broker, clientID: "early-bird", subscriptions: ["x/#"]))
        defer { client.stop() }
        // Several failed attempts, each reported with the address and the system's reason.
        #expect(recorder.waitForEvent(count: 3) { $0.errorText != nil })
        let error = try #require(recorder.events.compactMap(\.errorText).first)
        #expect(error.contains("mqtt://127.0.0.1:\(broker.port)"))
        #expect(error.lowercased().contains("refused"))
        #expect(!client.isConnected)

        try broker.start()
        #expect(recorder.waitForEvent { $0.isSubscribed })
        try broker.publish("x/y", "late")
        #expect(recorder.waitForMessages(count: 1))
    }

    @Test func stopReturnsPromptlyWhileWaitingToReconnect() throws {
        let broker = try TestBroker()
        broker.stop()
        var options = testOptions(broker, clientID: "patient")
        options.reconnectDelayMin = .seconds(30)
        options.reconnectDelayMax = .seconds(60)
        let (client, recorder) = try startClient(options)
        #expect(recorder.waitForEvent { $0.errorText != nil })
        // The client now waits 15–30 s before its next attempt; stop must not.
        let started = Date()
        client.stop()
        #expect(Date().timeIntervalSince(started) < 5)
    }
}
