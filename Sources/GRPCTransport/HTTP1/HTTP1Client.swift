/// A minimal HTTP/1.1 client (for the OAuth token POST) over the same TCP/TLS/proxy code as HTTP/2.
/// One request per connection (`Connection: close`); Content-Length, chunked or close-delimited
/// responses. TLS offers ALPN `http/1.1` but does not require the server to answer it.
///
/// Proxies: with `.fromEnvironment` the curl/reqwest variables apply (`HTTPS_PROXY`/`https_proxy`
/// or `HTTP_PROXY`/`http_proxy` by target scheme, then `ALL_PROXY`; bypass `NO_PROXY`/`no_proxy`),
/// as in the official SDK's token client. A proxy is always used through CONNECT.
public enum HTTP1Client {
    /// Sends one request and reads the whole response. `Host`, `User-Agent`, `Content-Length` and
    /// `Connection: close` are added unless `headers` already has them. `timeout` bounds the whole
    /// exchange; the dial is additionally bounded by `options.connectTimeout`.
    public static func request(
        method: String, url: String, headers: [HeaderField], body: [UInt8], options: ConnectionOptions, timeout: Duration
    ) async throws(TransportError) -> HTTPResponse {
        let target = try ParsedURL(parsing: url)
        let request = serializeRequest(method: method, target: target, headers: headers, body: body, userAgent: options.userAgent)
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>) in
            do throws(TransportError) {
                try IOThread.start {
                    continuation.resume(returning: Result { () throws(TransportError) -> HTTPResponse in
                        try exchange(request, with: target.endpoint, expectsBody: method.uppercased() != "HEAD",
                                     options: options, timeout: timeout)
                    })
                }
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
        return try result.get()
    }

    static func serializeRequest(method: String, target: ParsedURL, headers: [HeaderField], body: [UInt8], userAgent: String) -> [UInt8] {
        let endpoint = target.endpoint
        let host = endpoint.port == endpoint.defaultPort ? endpoint.bracketedHost : endpoint.authority
        let present = Set(headers.map { $0.name.lowercased() })
        var head = "\(method) \(target.requestTarget) HTTP/1.1\r\n"
        if !present.contains("host") { head += "Host: \(host)\r\n" }
        if !present.contains("user-agent") { head += "User-Agent: \(userAgent)\r\n" }
        if !present.contains("content-length") && (!body.isEmpty || method.uppercased() == "POST" || method.uppercased() == "PUT") {
            head += "Content-Length: \(body.count)\r\n"
        }
        if !present.contains("connection") { head += "Connection: close\r\n" }
        for field in headers { head += "\(field.name): \(field.value)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    /// Blocking exchange on the calling (dedicated) thread.
    private static func exchange(
        _ request: [UInt8], with endpoint: Endpoint, expectsBody: Bool, options: ConnectionOptions, timeout: Duration
    ) throws(TransportError) -> HTTPResponse {
        let deadline = Deadline.after(timeout)
        let channel = try Dialer.dial(endpoint, options: options, alpn: ["http/1.1"], proxyRules: .http,
                                      deadline: deadline.min(.after(options.connectTimeout)))
        defer {
            channel.shutdown(until: .after(.milliseconds(200)))
            channel.socket.close()
        }
        let activity = "sending an HTTP request to \(endpoint.authority)"
        try channel.writeAll(request, until: deadline, doing: activity)
        var parser = HTTP1ResponseParser(expectsBody: expectsBody)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let count = try channel.readSome(into: buffer, until: deadline, doing: "reading the HTTP response from \(endpoint.authority)")
            if count == 0 { return try parser.finishAtEndOfStream() }
            if try parser.feed(UnsafeRawBufferPointer(rebasing: buffer[..<count])), let response = parser.response {
                return response
            }
        }
    }
}
