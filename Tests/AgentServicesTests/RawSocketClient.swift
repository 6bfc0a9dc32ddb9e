import Glibc
import Testing

/// A blocking TCP client for the HTTP server tests: sends raw bytes, reads until the server
/// closes. Every socket has a 5 s receive timeout so a broken server fails the test instead of
/// hanging it.
struct RawSocketClient {
    let fd: Int32

    struct ConnectError: Error, CustomStringConvertible {
        var errnoCode: Int32
        var description: String { "connect failed: errno \(errnoCode)" }
    }

    static func connect(port: Int, ipv6: Bool = false) throws -> RawSocketClient {
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result: Int32
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            _ = inet_pton(AF_INET6, "::1", &address.sin6_addr)
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw ConnectError(errnoCode: code)
        }
        return RawSocketClient(fd: fd)
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard count > 0 else { return }
            offset += count
        }
    }

    /// Everything until EOF (or nil if the 5 s receive timeout struck first).
    func readToEnd() -> String? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return String(decoding: received, as: UTF8.self) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET { return String(decoding: received, as: UTF8.self) }
                return nil
            }
            received.append(contentsOf: buffer[0..<count])
        }
    }

    func close() { _ = Glibc.close(fd) }
}

/// A parsed HTTP/1.1 response.
struct HTTPResponse {
    var status: Int
    var headers: [String: String]
    var body: String

    init?(_ raw: String) {
        let parts = raw.split(separator: "\r\n\r\n", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let headLines = parts[0].split(separator: "\r\n")
        let statusLine = headLines.first?.split(separator: " ") ?? []
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else { return nil }
        self.status = status
        var headers: [String: String] = [:]
        for line in headLines.dropFirst() {
            let pair = line.split(separator: ":", maxSplits: 1)
            guard pair.count == 2 else { continue }
            headers[pair[0].lowercased()] = String(pair[1].drop { $0 == " " })
        }
        self.headers = headers
        self.body = String(parts[1])
    }

    /// One request on a fresh connection.
    static func fetch(port: Int, _ request: String, ipv6: Bool = false) throws -> HTTPResponse {
        let client = try RawSocketClient.connect(port: port, ipv6: ipv6)
        defer { client.close() }
        client.send(request)
        let raw = try #require(client.readToEnd(), "no complete response within 5 s")
        return try #require(HTTPResponse(raw), "malformed response: \(raw)")
    }

    static func get(port: Int, _ path: String) throws -> HTTPResponse {
        try fetch(port: port, "GET \(path) HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test\r\n\r\n")
    }
}
