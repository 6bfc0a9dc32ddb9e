import Mosquitto
import Testing

/// Option checks and lifecycle rules that need no broker.
@Suite struct MQTTOptionsTests {
    private func rejection(_ options: MQTTOptions) -> MQTTError? {
        do {
            _ = try MQTTClient(options: options, onMessage: { _ in }, onEvent: { _ in })
            return nil
        } catch {
            return error
        }
    }

    private var valid: MQTTOptions {
        MQTTOptions(host: "127.0.0.1", clientID: "options-test", subscriptions: [MQTTSubscription(filter: "a/#")])
    }

    @Test func validOptionsAreAccepted() {
        #expect(rejection(valid) == nil)
    }

    @Test(arguments: [
        ("a/#/b", "is not a valid topic filter"),
        ("a/b#", "is not a valid topic filter"),
    ])
    func invalidTopicFiltersAreNamed(filter: String, expected: String) {
        var options = valid
        options.subscriptions = [MQTTSubscription(filter: filter)]
        let error = rejection(options)
        #expect(error?.code == .invalidOption)
        #expect(error?.reason.contains(filter) == true)
        #expect(error?.reason.contains(expected) == true)
    }

    @Test func badSettingsAreRejectedWithTheirReason() {
        var options = valid
        options.subscriptions = [MQTTSubscription(filter: "a", qos: 3)]
        #expect(rejection(options)?.reason.contains("QoS") == true)

        options = valid
        options.keepalive = 2
        #expect(rejection(options)?.reason.contains("keepalive") == true)

        options = valid
        options.port = 70000
        #expect(rejection(options)?.reason.contains("70000") == true)

        options = valid
        options.clientID = ""
        #expect(rejection(options)?.reason.contains("client id") == true)

        options = valid
        options.will = MQTTWill(topic: "status/+", payload: [])
        #expect(rejection(options)?.reason.contains("will topic") == true)

        options = valid
        options.reconnectDelayMin = .seconds(5)
        options.reconnectDelayMax = .seconds(1)
        #expect(rejection(options)?.reason.contains("reconnect") == true)

        options = valid
        options.tls = MQTTTLS(caFile: "/nonexistent/ca.pem")
        #expect(rejection(options)?.reason.contains("/nonexistent/ca.pem") == true)

        options = valid
        options.tls = MQTTTLS(caFile: nil, certFile: "/etc/hostname")
        #expect(rejection(options)?.reason.contains("key file") == true)
    }

    @Test func passwordNeverAppearsInErrorsOrDescription() {
        var options = valid
        options.username = nil
        options.password = "hunter2-secret"
        let error = rejection(options)
        #expect(error?.reason.contains("password") == true)
        #expect(error?.description.contains("hunter2-secret") == false)

        options.username = "edge"
        #expect(!options.description.contains("hunter2-secret"))
        #expect(options.description.contains("edge"))
    }

    @Test func stoppedClientRefusesWork() throws {
        let client = try MQTTClient(options: valid, onMessage: { _ in }, onEvent: { _ in })
        client.stop()
        client.stop()
        #expect(!client.isConnected)
        #expect(throws: MQTTError.self) { try client.start() }
        do {
            try client.publish(topic: "a", payload: [1])
            Issue.record("publish after stop must throw")
        } catch {
            #expect(error.code == .stopped)
            #expect(error.operation == "publishing to a")
        }
    }

    @Test func publishRejectsWildcardTopicsWithLibmosquittosReason() throws {
        let client = try MQTTClient(options: valid, onMessage: { _ in }, onEvent: { _ in })
        defer { client.stop() }
        do {
            try client.publish(topic: "a/+/b", payload: [1], qos: 1)
            Issue.record("publishing to a wildcard topic must throw")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.description.hasPrefix("publishing to a/+/b: "))
            #expect(!error.reason.isEmpty)
        }
    }
}
