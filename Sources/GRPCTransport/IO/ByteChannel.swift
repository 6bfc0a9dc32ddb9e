/// A non-blocking, ordered byte stream over a socket: cleartext or TLS.
///
/// Confined to one thread at a time; the HTTP/2 loop and the HTTP/1.1 client own theirs exclusively.
protocol ByteChannel: AnyObject {
    var socket: TCPSocket { get }
    /// Input that `poll` cannot see: plaintext already decrypted by TLS, or bytes pushed back.
    var hasBufferedInput: Bool { get }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> IOResult
    /// Writes a prefix of `bytes`. After `.wouldBlock`, the next call must start with the same bytes.
    func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) -> IOResult
    /// Best-effort orderly shutdown (TLS close_notify) before the socket is closed.
    func shutdown(until deadline: Deadline)
}

extension ByteChannel {
    /// Writes everything, waiting as needed; for handshakes and HTTP/1.1 on a dedicated thread.
    func writeAll(_ bytes: [UInt8], until deadline: Deadline, doing activity: String) throws(TransportError) {
        var offset = 0
        while offset < bytes.count {
            let attempt = bytes.withUnsafeBytes { raw in
                Result { () throws(TransportError) -> IOResult in try write(UnsafeRawBufferPointer(rebasing: raw[offset...])) }
            }
            switch try attempt.get() {
            case .transferred(let count): offset += count
            case .wouldBlock(let readiness): try waitOrThrow(readiness, until: deadline, doing: activity)
            case .endOfStream: throw TransportError(.io, "\(socket.peerDescription) closed the connection while \(activity)")
            }
        }
    }

    /// Reads at least one byte, waiting as needed; returns 0 at end of stream.
    func readSome(into buffer: UnsafeMutableRawBufferPointer, until deadline: Deadline, doing activity: String) throws(TransportError) -> Int {
        while true {
            switch try read(into: buffer) {
            case .transferred(let count): return count
            case .endOfStream: return 0
            case .wouldBlock(let readiness): try waitOrThrow(readiness, until: deadline, doing: activity)
            }
        }
    }

    func waitOrThrow(_ readiness: IOReadiness, until deadline: Deadline, doing activity: String) throws(TransportError) {
        guard try socket.wait(for: readiness, until: deadline) else {
            throw TransportError(.timeout, "timed out while \(activity) (\(socket.peerDescription))")
        }
    }
}

/// Cleartext channel: h2c, plain HTTP/1.1, and the proxy CONNECT exchange.
final class PlainChannel: ByteChannel {
    let socket: TCPSocket

    init(socket: TCPSocket) { self.socket = socket }

    var hasBufferedInput: Bool { socket.hasUnreadBytes }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> IOResult {
        try socket.receive(into: buffer)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) -> IOResult {
        try socket.send(bytes)
    }

    func shutdown(until deadline: Deadline) {}
}
