import AgentCore

/// Turns one HTTP/1.1 request head into the complete response bytes of the health endpoints.
///
/// - `GET /healthz` → 200, the health document (`application/json`)
/// - `GET /readyz`  → 200 `ready` or 503 `not ready: <reason>`
/// - `GET /metrics` → 200, Prometheus text 0.0.4
/// - other paths → 404; other methods → 405 with `Allow: GET`; malformed heads → 400.
///
/// Every response closes the connection, so no body framing beyond Content-Length is needed.
struct HealthHTTPResponder: Sendable {
    let snapshot: @Sendable () -> HealthSnapshot

    /// `head` is everything up to (not including) the blank line ending the request head.
    func response(forHead head: ArraySlice<UInt8>) -> [UInt8] {
        let requestLine = head.split(separator: UInt8(ascii: "\r"), maxSplits: 1, omittingEmptySubsequences: false)
            .first ?? []
        let parts = requestLine.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].starts(with: "HTTP/1.".utf8), parts[1].first == UInt8(ascii: "/") else {
            return Self.render(400, "Bad Request", body: "bad request\n")
        }
        guard parts[0].elementsEqual("GET".utf8) else {
            return Self.render(405, "Method Not Allowed", body: "method not allowed\n", extraHeaders: ["Allow: GET"])
        }
        let path = parts[1].split(separator: UInt8(ascii: "?"), maxSplits: 1, omittingEmptySubsequences: false)[0]
        switch String(decoding: path, as: UTF8.self) {
        case "/healthz":
            return Self.render(200, "OK", body: snapshot().report.jsonString() + "\n", contentType: "application/json")
        case "/readyz":
            let readiness = snapshot().readiness
            if readiness.isReady {
                return Self.render(200, "OK", body: "ready\n")
            }
            let reason = String(String.UnicodeScalarView(
                (readiness.reason ?? "unknown").unicodeScalars.filter { $0 != "\n" && $0 != "\r" }))
            return Self.render(503, "Service Unavailable", body: "not ready: \(reason)\n")
        case "/metrics":
            return Self.render(200, "OK", body: snapshot().report.prometheusText(),
                               contentType: "text/plain; version=0.0.4; charset=utf-8")
        default:
            return Self.render(404, "Not Found", body: "not found\n")
        }
    }

    /// A 431 for request heads over the size cap.
    static let headTooLarge = render(431, "Request Header Fields Too Large", body: "request too large\n")

    static func render(
        _ status: Int, _ reason: String, body: String, contentType: String = "text/plain; charset=utf-8",
        extraHeaders: [String] = []
    ) -> [UInt8] {
        let bodyBytes = Array(body.utf8)
        var head = "HTTP/1.1 \(status) \(reason)\r\n"
        head += "Content-Type: \(contentType)\r\n"
        head += "Content-Length: \(bodyBytes.count)\r\n"
        head += "Cache-Control: no-store\r\n"
        head += "Connection: close\r\n"
        for header in extraHeaders { head += header + "\r\n" }
        head += "\r\n"
        return Array(head.utf8) + bodyBytes
    }
}
