/// One HTTP/2 connection (h2 over TLS, or h2c) driven on its own dedicated I/O thread.
///
/// Thread-safe. The connection stays open while this handle or any of its calls is alive; drop
/// them all (or call ``close()``) to close it.
public final class HTTP2Connection: Sendable {
    public let endpoint: Endpoint
    /// The negotiated TLS version ("TLSv1.2", "TLSv1.3"); nil for h2c.
    public let tlsVersion: String?
    private let mailbox: ConnectionMailbox

    private init(endpoint: Endpoint, tlsVersion: String?, mailbox: ConnectionMailbox) {
        self.endpoint = endpoint
        self.tlsVersion = tlsVersion
        self.mailbox = mailbox
    }

    deinit {
        _ = mailbox.requestClose(waiter: nil)
    }

    /// Dials (proxy, TCP, TLS with ALPN h2 or h2c) on a new I/O thread and returns once the
    /// connection is ready for calls. TLS failures are reported before any HTTP/2 byte is sent.
    public static func connect(to endpoint: Endpoint, options: ConnectionOptions) async throws(TransportError) -> HTTP2Connection {
        let mailbox = try ConnectionMailbox()
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<HTTP2Connection, TransportError>, Never>) in
            do throws(TransportError) {
                try IOThread.start {
                    let channel: any ByteChannel
                    do throws(TransportError) {
                        channel = try Dialer.dial(endpoint, options: options, alpn: ["h2"], proxyRules: .grpc,
                                                  deadline: .after(options.connectTimeout))
                        if let tls = channel as? TLSChannel, tls.negotiatedProtocol != "h2" {
                            let selected = tls.negotiatedProtocol.map { "'\($0)'" } ?? "none"
                            throw TransportError(.alpn, "server did not negotiate HTTP/2 (ALPN h2); it selected \(selected)")
                        }
                    } catch {
                        continuation.resume(returning: .failure(error))
                        return
                    }
                    let tlsVersion = (channel as? TLSChannel)?.tlsVersion
                    let engine = HTTP2Engine(channel: channel, mailbox: mailbox, endpoint: endpoint, options: options)
                    continuation.resume(returning: .success(
                        HTTP2Connection(endpoint: endpoint, tlsVersion: tlsVersion, mailbox: mailbox)))
                    engine.run()
                }
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
        return try result.get()
    }

    /// Opens a gRPC call: request HEADERS with `:method POST`, `:scheme`, `:path`, `:authority`,
    /// `content-type: application/grpc`, `te: trailers`, `user-agent`, then `metadata` in order
    /// (names lowercased). Throws `.closed` once the connection no longer accepts calls.
    public func startCall(path: String, metadata: [HeaderField]) throws(TransportError) -> GRPCCall {
        guard path.hasPrefix("/") else { throw TransportError(.protocolError, "invalid gRPC path '\(path)'") }
        var fields: [HeaderField] = []
        fields.reserveCapacity(metadata.count)
        for field in metadata {
            let name = field.name.lowercased()
            guard !name.isEmpty, !name.hasPrefix(":"), isValidFieldText(name), isValidFieldText(field.value) else {
                throw TransportError(.protocolError, "invalid metadata header '\(name)'")
            }
            fields.append(HeaderField(name, field.value))
        }
        let call = GRPCCall(connection: self, mailbox: mailbox)
        try mailbox.startCall(call, path: path, metadata: fields)
        return call
    }

    /// True once the connection cannot start calls any more: closed, failed, or the server sent GOAWAY.
    public var isClosed: Bool { mailbox.refusalReason != nil }

    /// Why the connection refuses new calls, if it does.
    public var closedReason: String? { mailbox.refusalReason }

    /// Graceful close: GOAWAY(NO_ERROR), TLS close_notify, close the socket, and wait for the I/O
    /// thread to finish. Idempotent. Calls still open finish with CANCELLED (1).
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !mailbox.requestClose(waiter: continuation) { continuation.resume() }
        }
    }
}

/// No CR, LF or NUL: they could split or truncate header fields on HTTP/1 hops.
private func isValidFieldText(_ text: String) -> Bool {
    !text.utf8.contains { $0 == 0 || $0 == 10 || $0 == 13 }
}
