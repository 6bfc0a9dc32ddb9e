import Foundation
import Mosquitto

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func makeTemporaryDirectory(_ prefix: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("mosquitto-tests-\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A port the kernel just handed out for 127.0.0.1 (released again for the broker to take).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
            bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
        }
    }
    guard bound else { throw TestFailure("bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}

/// Polls `condition` until it holds or `timeout` passes. For conditions outside this process
/// (a log line, a listening port) that offer nothing to block on.
func waitUntil(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// Runs a command line tool to completion; throws with its output if it fails.
@discardableResult
func runTool(_ path: String, _ arguments: [String], input: String? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    let stdin = Pipe()
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw TestFailure("\(path) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(text)")
    }
    return text
}

/// Collects what a client reports, from its network thread, and lets a test wait for it.
///
/// `@unchecked Sendable`: every stored property is accessed with `condition` locked.
final class Recorder: @unchecked Sendable {
    private let condition = NSCondition()
    private var recordedEvents: [MQTTEvent] = []
    private var recordedMessages: [MQTTMessage] = []

    func record(_ event: MQTTEvent) {
        condition.lock()
        recordedEvents.append(event)
        condition.broadcast()
        condition.unlock()
    }

    func record(_ message: MQTTMessage) {
        condition.lock()
        recordedMessages.append(message)
        condition.broadcast()
        condition.unlock()
    }

    var events: [MQTTEvent] { locked { recordedEvents } }
    var messages: [MQTTMessage] { locked { recordedMessages } }

    /// Blocks until `condition` holds for what was recorded so far, or `timeout` passes.
    @discardableResult
    func wait(timeout: TimeInterval = 10, until isDone: ([MQTTEvent], [MQTTMessage]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while !isDone(recordedEvents, recordedMessages) {
            if !condition.wait(until: deadline) { return isDone(recordedEvents, recordedMessages) }
        }
        return true
    }

    func waitForEvent(count: Int = 1, timeout: TimeInterval = 10, _ matches: @escaping (MQTTEvent) -> Bool) -> Bool {
        wait(timeout: timeout) { events, _ in events.filter(matches).count >= count }
    }

    func waitForMessages(count: Int, timeout: TimeInterval = 10, topic: String? = nil) -> Bool {
        wait(timeout: timeout) { _, messages in
            messages.filter { topic == nil || $0.topic == topic }.count >= count
        }
    }

    func count(_ matches: (MQTTEvent) -> Bool) -> Int { events.filter(matches).count }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }
}

extension MQTTEvent {
    var isSubscribed: Bool { self == .subscribed }
    var isDisconnected: Bool { if case .disconnected = self { true } else { false } }
    var errorText: String? { if case .error(let text) = self { text } else { nil } }
    func isConnected(sessionPresent: Bool) -> Bool { self == .connected(sessionPresent: sessionPresent) }
}

extension MQTTMessage {
    var text: String { String(decoding: payload, as: UTF8.self) }
}

/// Options suited to tests: quick reconnects to the test's broker.
func testOptions(
    _ broker: TestBroker, clientID: String, subscriptions: [String] = [], protocolVersion: MQTTProtocolVersion = .v311
) -> MQTTOptions {
    var options = MQTTOptions(
        host: "127.0.0.1", port: broker.port, clientID: clientID,
        subscriptions: subscriptions.map { MQTTSubscription(filter: $0, qos: 1) },
        reconnectDelayMin: .milliseconds(100), reconnectDelayMax: .seconds(1))
    options.protocolVersion = protocolVersion
    return options
}

/// A started client whose messages and events go to a new recorder.
func startClient(_ options: MQTTOptions) throws -> (MQTTClient, Recorder) {
    let recorder = Recorder()
    let client = try MQTTClient(
        options: options, onMessage: { recorder.record($0) }, onEvent: { recorder.record($0) })
    try client.start()
    return (client, recorder)
}
