import Foundation
import Mosquitto
import Testing

/// mqtts:// (server TLS and mutual TLS) and username/password, against a real broker.
@Suite struct SecurityTests {
    /// Listener 0: TLS. Listener 1: TLS that requires a client certificate from the same CA.
    private func tlsBroker() throws -> (TestBroker, Certificates) {
        let directory = try makeTemporaryDirectory("certs")
        let certificates = try Certificates(in: directory)
        let broker = try TestBroker(portCount: 2) { _, ports in
            """
            allow_anonymous true
            persistence false
            listener \(ports[0]) 127.0.0.1
            cafile \(certificates.caFile)
            certfile \(certificates.serverCertFile)
            keyfile \(certificates.serverKeyFile)
            listener \(ports[1]) 127.0.0.1
            cafile \(certificates.caFile)
            certfile \(certificates.serverCertFile)
            keyfile \(certificates.serverKeyFile)
            require_certificate true
            """
        }
        return (broker, certificates)
    }

    @Test func tlsWithTheBrokersCARoundTripsAMessage() throws {
        let (broker, certificates) = try tlsBroker()
        var options = testOptions(broker, clientID: "tls-client", subscriptions: ["secure/#"])
        options.tls = MQTTTLS(caFile: certificates.caFile)
        #expect(options.description.hasPrefix("mqtts://127.0.0.1:"))
        let (client, recorder) = try startClient(options)
        defer { client.stop() }
        #expect(recorder.waitForEvent { $0.isSubscribed })
        try client.publish(topic: "secure/reading", payload: [0, 1, 2, 255], qos: 1)
        #expect(recorder.waitForMessages(count: 1))
        #expect(recorder.messages.first?.payload == [0, 1, 2, 255])
        #expect(broker.log.contains("New client connected from 127.0.0.1"))
    }

    @Test func tlsWithAnotherCAFailsWithTheCertificateReason() throws {
        let (broker, _) = try tlsBroker()
        let strangers = try Certificates(in: try makeTemporaryDirectory("other-ca"), caName: "some other CA")
        var options = testOptions(broker, clientID: "tls-wrong-ca")
        options.tls = MQTTTLS(caFile: strangers.caFile)
        let (client, recorder) = try startClient(options)
        defer { client.stop() }
        // Keeps retrying (an expired or replaced broker certificate may be fixed), reporting each time.
        #expect(recorder.waitForEvent(count: 2, timeout: 30) { $0.errorText != nil })
        let error = try #require(recorder.events.compactMap(\.errorText).first)
        #expect(error.contains("mqtts://127.0.0.1:\(broker.port)"))
        #expect(error.contains("certificate verify failed"))
        #expect(!recorder.events.contains { $0.isConnected(sessionPresent: false) })
    }

    @Test func tlsTrustingOnlyTheSystemStoreRejectsAPrivateCA() throws {
        let (broker, _) = try tlsBroker()
        var options = testOptions(broker, clientID: "tls-system-store")
        options.tls = MQTTTLS(caFile: nil)
        let (client, recorder) = try startClient(options)
        defer { client.stop() }
        // A deadline, not a pause: loading the system store can take seconds on a loaded machine.
        #expect(recorder.waitForEvent(timeout: 30) { $0.errorText != nil })
        #expect(recorder.events.compactMap(\.errorText).first?.contains("certificate verify failed") == true)
        #expect(!client.isConnected)
    }

    @Test func insecureSkipVerifyAcceptsAnyBrokerCertificate() throws {
        let (broker, _) = try tlsBroker()
        var options = testOptions(broker, clientID: "tls-insecure", subscriptions: ["i/#"])
        options.tls = MQTTTLS(caFile: nil, insecureSkipVerify: true)
        let (client, recorder) = try startClient(options)
        defer { client.stop() }
        #expect(recorder.waitForEvent { $0.isSubscribed })
    }

    @Test func mutualTLSNeedsTheClientCertificate() throws {
        let (broker, certificates) = try tlsBroker()
        var withCertificate = testOptions(broker, clientID: "mtls-client", subscriptions: ["m/#"])
        withCertificate.port = broker.ports[1]
        withCertificate.tls = MQTTTLS(
            caFile: certificates.caFile, certFile: certificates.clientCertFile, keyFile: certificates.clientKeyFile)
        let (client, recorder) = try startClient(withCertificate)
        defer { client.stop() }
        #expect(recorder.waitForEvent { $0.isSubscribed })

        var withoutCertificate = withCertificate
        withoutCertificate.clientID = "mtls-anonymous"
        withoutCertificate.tls = MQTTTLS(caFile: certificates.caFile)
        let (refused, refusedRecorder) = try startClient(withoutCertificate)
        defer { refused.stop() }
        #expect(refusedRecorder.waitForEvent(count: 2) { $0.errorText != nil })
        #expect(!refused.isConnected)
    }

    @Test func wrongPasswordIsAClearRefusalAndTheRightOneConnects() throws {
        let broker = try TestBroker { directory, ports in
            let passwords = directory.appendingPathComponent("passwords").path
            _ = try? runTool("/usr/bin/mosquitto_passwd", ["-b", "-c", passwords, "edge", "correct-horse"])
            return """
                listener \(ports[0]) 127.0.0.1
                allow_anonymous false
                password_file \(passwords)
                persistence false
                """
        }
        var options = testOptions(broker, clientID: "auth-client", subscriptions: ["a/#"])
        options.username = "edge"
        options.password = "wrong-battery"
        let (wrong, wrongRecorder) = try startClient(options)
        defer { wrong.stop() }
        #expect(wrongRecorder.waitForEvent(count: 2) { $0.errorText != nil })
        let errors = wrongRecorder.events.compactMap(\.errorText)
        #expect(errors.first?.contains("refused the connection") == true)
        #expect(errors.first?.contains("not authorised") == true)
        #expect(!errors.contains { $0.contains("wrong-battery") })
        #expect(!wrong.isConnected)

        options.clientID = "auth-client-2"
        options.password = "correct-horse"
        let (right, rightRecorder) = try startClient(options)
        defer { right.stop() }
        #expect(rightRecorder.waitForEvent { $0.isSubscribed })
    }
}
