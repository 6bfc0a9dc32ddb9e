/// An HTTP proxy to open a CONNECT tunnel through.
import EdgeSupport

struct ProxyTarget: Hashable {
    var host: String
    var port: Int
    /// `base64(user:password)` for `Proxy-Authorization: Basic`, when the proxy URL had credentials.
    var basicCredentials: String?

    /// `host:port` for messages; never includes the credentials.
    var authority: String { Endpoint(scheme: .http, host: host, port: port).authority }
}

/// Which environment variables configure the proxy.
enum ProxyEnvironmentRules {
    /// gRPC core (what the official Zerobus SDK channel uses), ZEROBUS_PROTOCOL.md §9.
    case grpc
    /// curl / reqwest style, used by the SDK's OAuth HTTP client: `HTTPS_PROXY`/`HTTP_PROXY` by
    /// target scheme, then `ALL_PROXY`; bypass list `NO_PROXY`.
    case http
}

/// Pure proxy selection: the environment is passed in, so it is tested without touching the process.
enum ProxySelector {
    /// The proxy to use for `target`, or nil to connect directly.
    static func proxy(
        for target: Endpoint, setting: ProxySetting, rules: ProxyEnvironmentRules,
        environment: (String) -> String?
    ) throws(TransportError) -> ProxyTarget? {
        switch setting {
        case .none:
            return nil
        case .url(let url):
            return try parseProxyURL(url)
        case .fromEnvironment:
            let (proxyNames, bypassNames) = variableNames(rules: rules, targetScheme: target.scheme)
            guard let url = firstNonEmpty(proxyNames, environment) else { return nil }
            if let noProxy = firstNonEmpty(bypassNames, environment), isBypassed(host: target.host, noProxy: noProxy) {
                return nil
            }
            return try parseProxyURL(url)
        }
    }

    /// Proxy and bypass variable names, in lookup order.
    static func variableNames(rules: ProxyEnvironmentRules, targetScheme: Endpoint.Scheme) -> ([String], [String]) {
        switch rules {
        case .grpc:
            (["grpc_proxy", "GRPC_PROXY", "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"],
             ["no_grpc_proxy", "NO_GRPC_PROXY", "no_proxy", "NO_PROXY"])
        case .http:
            (targetScheme == .https
                ? ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
                : ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"],
             ["NO_PROXY", "no_proxy"])
        }
    }

    /// `no_proxy` matching: `*` bypasses everything; otherwise comma-separated entries, trimmed,
    /// a leading dot removed; the host matches an entry when equal to it or ending in `.entry`.
    /// Case-insensitive; ports and CIDR ranges are not supported; IP literals match exactly.
    static func isBypassed(host: String, noProxy: String) -> Bool {
        let host = host.lowercased()
        let hostIsIPLiteral = IPLiteral.isIPLiteral(host)
        for rawEntry in noProxy.split(separator: ",") {
            var entry = rawEntry.trimmingWhitespace().lowercased()
            if entry == "*" { return true }
            if entry.hasPrefix("[") && entry.hasSuffix("]") { entry = String(entry.dropFirst().dropLast()) }
            while entry.hasPrefix(".") { entry.removeFirst() }
            guard !entry.isEmpty else { continue }
            if host == entry || (!hostIsIPLiteral && host.hasSuffix("." + entry)) { return true }
        }
        return false
    }

    /// Parses `[http://][user:password@]host[:port][/]`; the port defaults to 80.
    static func parseProxyURL(_ url: String) throws(TransportError) -> ProxyTarget {
        var rest = Substring(url.trimmingWhitespace())
        if let range = rest.firstRange(of: "://") {
            let scheme = rest[..<range.lowerBound].lowercased()
            guard scheme == "http" else {
                throw TransportError(.proxy, "unsupported proxy scheme '\(scheme)' (only http:// CONNECT proxies are supported)")
            }
            rest = rest[range.upperBound...]
        }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var credentials: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let decoded: String
            if let colon = userInfo.firstIndex(of: ":") {
                decoded = GRPCStatusResolver.percentDecoded(String(userInfo[..<colon])) + ":"
                    + GRPCStatusResolver.percentDecoded(String(userInfo[userInfo.index(after: colon)...]))
            } else {
                decoded = GRPCStatusResolver.percentDecoded(String(userInfo)) + ":"
            }
            credentials = Base64.encode(Array(decoded.utf8))
        }
        // Never echo the raw URL: it may contain a password.
        let (host, port): (String, Int?)
        do {
            (host, port) = try splitHostPort(rest, in: "proxy URL")
        } catch {
            throw TransportError(.proxy, "invalid proxy setting: \(error.message)")
        }
        return ProxyTarget(host: host, port: port ?? 80, basicCredentials: credentials)
    }

    private static func firstNonEmpty(_ names: [String], _ environment: (String) -> String?) -> String? {
        for name in names {
            if let value = environment(name), !value.trimmingWhitespace().isEmpty { return value }
        }
        return nil
    }
}
