/// Opens an HTTP CONNECT tunnel through a proxy; afterwards the socket carries the target's bytes.
enum ProxyTunnel {
    static let maximumReplyBytes = 16 * 1024

    static func open(
        on socket: TCPSocket, proxy: ProxyTarget, target: Endpoint, userAgent: String, deadline: Deadline
    ) throws(TransportError) {
        var request = "CONNECT \(target.authority) HTTP/1.1\r\nHost: \(target.authority)\r\n"
        if let credentials = proxy.basicCredentials {
            request += "Proxy-Authorization: Basic \(credentials)\r\n"
        }
        request += "User-Agent: \(userAgent)\r\n\r\n"
        let channel = PlainChannel(socket: socket)
        let activity = "opening a CONNECT tunnel through proxy \(proxy.authority)"
        try channel.writeAll(Array(request.utf8), until: deadline, doing: activity)

        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = try chunk.withUnsafeMutableBytes { raw in
                Result { () throws(TransportError) -> Int in try channel.readSome(into: raw, until: deadline, doing: activity) }
            }.get()
            guard count > 0 else {
                throw TransportError(.proxy, "proxy \(proxy.authority) closed the connection before answering CONNECT \(target.authority)")
            }
            reply.append(contentsOf: chunk[..<count])
            if let headerEnd = HTTP1ResponseParser.endOfHeaders(in: reply[...]) {
                let statusLine = HTTP1ResponseParser.firstLine(of: reply)
                guard let status = HTTP1ResponseParser.statusCode(inStatusLine: statusLine), (200..<300).contains(status) else {
                    throw TransportError(.proxy, "proxy \(proxy.authority) refused CONNECT \(target.authority): \(statusLine)")
                }
                // Whatever followed the reply already belongs to the tunnelled connection.
                if headerEnd < reply.count { socket.pushBack(reply[headerEnd...]) }
                return
            }
            if reply.count > maximumReplyBytes {
                throw TransportError(.proxy, "proxy \(proxy.authority) sent an oversized reply to CONNECT")
            }
        }
    }
}
