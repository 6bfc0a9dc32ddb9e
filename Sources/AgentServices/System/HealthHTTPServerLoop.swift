import AgentCore
import Glibc

/// The poll loop of `HealthHTTPServer`, run on the server's own thread. All connection state is
/// local to `run()`, so nothing here is shared between threads.
struct HealthHTTPServerLoop: Sendable {
    let listenFD: Int32
    let wakeReadFD: Int32
    let limits: HealthHTTPServer.Limits
    let responder: HealthHTTPResponder

    /// One accepted client: read the head, write the response, then drain until the client
    /// closes (so unread request bytes do not turn our close into a reset that loses the response).
    private struct Connection {
        enum Phase { case reading, writing, draining }
        let fd: Int32
        let deadline: Int64
        var phase = Phase.reading
        var received: [UInt8] = []
        var response: [UInt8] = []
        var written = 0
    }

    func run() {
        var connections: [Connection] = []
        defer {
            for connection in connections { closeDescriptor(connection.fd) }
            closeDescriptors()
        }
        while true {
            var pollSet = [pollfd(fd: wakeReadFD, events: Int16(POLLIN), revents: 0)]
            let acceptingMore = connections.count < limits.maximumConnections
            pollSet.append(pollfd(fd: acceptingMore ? listenFD : -1, events: Int16(POLLIN), revents: 0))
            for connection in connections {
                let events = connection.phase == .writing ? POLLOUT : POLLIN
                pollSet.append(pollfd(fd: connection.fd, events: Int16(events), revents: 0))
            }
            let now = monotonicMilliseconds()
            let nearest = connections.map(\.deadline).min()
            let timeout = nearest.map { Int32(clamping: max(0, $0 - now)) } ?? -1
            let ready = poll(&pollSet, nfds_t(pollSet.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                return  // poll on our own descriptors cannot fail otherwise; stop serving rather than spin
            }
            if pollSet[0].revents != 0 { return }

            // Service existing connections first (their pollfd entries line up with `connections`).
            var index = 0
            var survivors: [Connection] = []
            survivors.reserveCapacity(connections.count)
            for var connection in connections {
                let revents = pollSet[2 + index].revents
                index += 1
                let keep = revents != 0 ? advance(&connection) : true
                if keep, monotonicMilliseconds() < connection.deadline {
                    survivors.append(connection)
                } else {
                    closeDescriptor(connection.fd)
                }
            }
            connections = survivors

            if pollSet[1].revents != 0 {
                acceptAll(into: &connections)
            }
        }
    }

    func closeDescriptors() {
        closeDescriptor(listenFD)
        closeDescriptor(wakeReadFD)
    }

    private func acceptAll(into connections: inout [Connection]) {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return  // EAGAIN: backlog empty; EMFILE and friends: try again on the next wake-up
            }
            setDescriptorFlags(fd, nonBlocking: true)
            guard connections.count < limits.maximumConnections else {
                closeDescriptor(fd)
                continue
            }
            let deadline = monotonicMilliseconds() + Int64(limits.connectionTimeoutMilliseconds)
            var connection = Connection(fd: fd, deadline: deadline)
            // Most requests are already waiting; answering now saves a poll round.
            if advance(&connection) {
                connections.append(connection)
            } else {
                closeDescriptor(connection.fd)
            }
        }
    }

    /// Makes as much progress as the socket allows. Returns false when the connection is done.
    private func advance(_ connection: inout Connection) -> Bool {
        switch connection.phase {
        case .reading:
            guard readHead(&connection) else { return false }
            if connection.phase != .writing { return true }
            return writeResponse(&connection)
        case .writing:
            return writeResponse(&connection)
        case .draining:
            return drain(connection.fd)
        }
    }

    /// Reads until the head is complete (then prepares the response) or the socket is empty.
    private func readHead(_ connection: inout Connection) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(connection.fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK
            }
            if count == 0 { return false }  // client went away before finishing its request
            connection.received.append(contentsOf: buffer[0..<count])
            if let end = Self.endOfHead(connection.received) {
                connection.response = responder.response(forHead: connection.received[..<end])
                connection.phase = .writing
                return true
            }
            if connection.received.count > limits.requestHeadBytes {
                connection.response = HealthHTTPResponder.headTooLarge
                connection.phase = .writing
                return true
            }
        }
    }

    private func writeResponse(_ connection: inout Connection) -> Bool {
        while connection.written < connection.response.count {
            let count = connection.response[connection.written...].withUnsafeBytes {
                send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if count < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK
            }
            connection.written += count
        }
        _ = shutdown(connection.fd, Int32(SHUT_WR))
        connection.phase = .draining
        return drain(connection.fd)
    }

    /// Discards whatever the client still sends; false once it has closed its side.
    private func drain(_ fd: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK
            }
            if count == 0 { return false }
        }
    }

    /// The index of the `\r\n\r\n` that ends the request head, if present.
    static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4)
        where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }
}
