import EdgeSupport
import Glibc

/// What a non-blocking operation waits for before it can make progress.
enum IOReadiness: Equatable {
    case readable
    case writable

    var pollEvents: Int16 { self == .readable ? Int16(POLLIN) : Int16(POLLOUT) }
}

/// Outcome of one non-blocking read or write; hard errors are thrown instead.
enum IOResult: Equatable {
    case transferred(Int)
    case wouldBlock(IOReadiness)
    case endOfStream
}

/// A connected, non-blocking TCP socket. Writes use `MSG_NOSIGNAL`, so a peer that went away
/// gives EPIPE instead of killing the process with SIGPIPE; no signal handler is needed.
///
/// Confined to one thread at a time (the dialling thread, then the connection's I/O thread).
final class TCPSocket {
    let fileDescriptor: Int32
    /// Human-readable peer (`host:port`), for error messages.
    let peerDescription: String
    /// Bytes already read from the socket that belong to the next layer (after a proxy reply).
    private var unread: [UInt8] = []
    private var isClosed = false

    init(fileDescriptor: Int32, peerDescription: String) {
        self.fileDescriptor = fileDescriptor
        self.peerDescription = peerDescription
    }

    deinit { close() }

    var hasUnreadBytes: Bool { !unread.isEmpty }

    /// Hands back bytes that were read too early; the next `receive` returns them first.
    func pushBack(_ bytes: ArraySlice<UInt8>) {
        unread.insert(contentsOf: bytes, at: 0)
    }

    func receive(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> IOResult {
        if !unread.isEmpty {
            let count = Swift.min(buffer.count, unread.count)
            unread.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
            unread.removeFirst(count)
            return .transferred(count)
        }
        while true {
            let result = recv(fileDescriptor, buffer.baseAddress, buffer.count, 0)
            if result > 0 { return .transferred(result) }
            if result == 0 { return .endOfStream }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock(.readable)
            case let code: throw TransportError(.io, "read from \(peerDescription) failed: \(ErrnoText.describe(code))")
            }
        }
    }

    func send(_ bytes: UnsafeRawBufferPointer) throws(TransportError) -> IOResult {
        while true {
            let result = Glibc.send(fileDescriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if result >= 0 { return .transferred(result) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock(.writable)
            case let code: throw TransportError(.io, "write to \(peerDescription) failed: \(ErrnoText.describe(code))")
            }
        }
    }

    /// Waits until the socket is ready; false when the deadline passed first.
    func wait(for readiness: IOReadiness, until deadline: Deadline) throws(TransportError) -> Bool {
        if readiness == .readable && hasUnreadBytes { return true }
        var pollFD = pollfd(fd: fileDescriptor, events: readiness.pollEvents, revents: 0)
        while true {
            let result = poll(&pollFD, 1, deadline.pollTimeoutMilliseconds)
            if result > 0 { return true }
            if result == 0 { return false }
            if errno != EINTR { throw TransportError(.io, "poll failed: \(ErrnoText.describe(errno))") }
        }
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fileDescriptor)
    }
}

