import Glibc

/// Builds a ready byte channel to an endpoint: optional CONNECT proxy, TCP, optional TLS with ALPN.
/// Blocking: runs on a dedicated thread, never on the Swift cooperative pool.
enum Dialer {
    static func dial(
        _ endpoint: Endpoint, options: ConnectionOptions, alpn: [String], proxyRules: ProxyEnvironmentRules,
        deadline: Deadline
    ) throws(TransportError) -> any ByteChannel {
        let proxy = try ProxySelector.proxy(for: endpoint, setting: options.proxy, rules: proxyRules,
                                            environment: processEnvironment)
        let socket: TCPSocket
        if let proxy {
            socket = try TCPConnector.connect(host: proxy.host, port: proxy.port, deadline: deadline, role: "proxy")
            try ProxyTunnel.open(on: socket, proxy: proxy, target: endpoint, userAgent: options.userAgent, deadline: deadline)
        } else {
            socket = try TCPConnector.connect(host: endpoint.host, port: endpoint.port, deadline: deadline, role: "server")
        }
        switch endpoint.scheme {
        case .http:
            return PlainChannel(socket: socket)
        case .https:
            let serverName = options.serverNameOverride ?? endpoint.host
            return try TLSChannel.connect(over: socket, serverName: serverName, alpn: alpn, options: options, deadline: deadline)
        }
    }

    static func processEnvironment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}
