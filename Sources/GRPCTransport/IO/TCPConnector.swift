import EdgeSupport
import Glibc

/// Resolves a host with getaddrinfo (IPv4 and IPv6) and tries each address in turn with a
/// non-blocking connect, all within one deadline.
enum TCPConnector {
    static func connect(host: String, port: Int, deadline: Deadline, role: String) throws(TransportError) -> TCPSocket {
        let target = Endpoint(scheme: .http, host: host, port: port).authority
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            let reason = status == EAI_SYSTEM ? ErrnoText.describe(errno) : String(cString: gai_strerror(status))
            throw TransportError(.dns, "cannot resolve \(role) host '\(host)': \(reason)")
        }
        defer { freeaddrinfo(first) }

        var failures: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            cursor = info.pointee.ai_next
            let address = numericAddress(info.pointee.ai_addr, info.pointee.ai_addrlen)
            if deadline.hasPassed {
                throw TransportError(.timeout, "connecting to \(role) \(target) timed out (tried: \(failures.joined(separator: "; ")))")
            }
            switch attempt(info.pointee, deadline: deadline) {
            case .success(let fd):
                return TCPSocket(fileDescriptor: fd, peerDescription: target)
            case .failure(.timedOut):
                failures.append("\(address): timed out")
                throw TransportError(.timeout, "connecting to \(role) \(target) timed out (tried: \(failures.joined(separator: "; ")))")
            case .failure(.failed(let code)):
                failures.append("\(address): \(ErrnoText.describe(code))")
            }
        }
        throw TransportError(.connect, "cannot connect to \(role) \(target): \(failures.joined(separator: "; "))")
    }

    private enum AttemptError: Error { case timedOut, failed(Int32) }

    private static func attempt(_ info: addrinfo, deadline: Deadline) -> Result<Int32, AttemptError> {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(info.ai_family, type, info.ai_protocol)
        guard fd >= 0 else { return .failure(.failed(errno)) }
        if Glibc.connect(fd, info.ai_addr, info.ai_addrlen) != 0 && errno != EINPROGRESS {
            let code = errno
            close(fd)
            return .failure(.failed(code))
        }
        var pollFD = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        while true {
            let ready = poll(&pollFD, 1, deadline.pollTimeoutMilliseconds)
            if ready > 0 { break }
            if ready == 0 || errno != EINTR {
                close(fd)
                return .failure(ready == 0 ? .timedOut : .failed(errno))
            }
        }
        var socketError: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length)
        guard socketError == 0 else {
            close(fd)
            return .failure(.failed(socketError))
        }
        // Small gRPC messages must not wait for Nagle's algorithm.
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return .success(fd)
    }

    private static func numericAddress(_ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t) -> String {
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else {
            return "?"
        }
        let text = host.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return text.contains(":") ? "[\(text)]" : text
    }
}
