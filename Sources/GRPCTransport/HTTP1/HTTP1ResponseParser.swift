/// An HTTP/1.1 response.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Response headers in arrival order; names lowercased.
    public var headers: [HeaderField]
    public var body: [UInt8]

    public init(status: Int, headers: [HeaderField], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Incremental HTTP/1.1 response parser: status line, headers, then a body framed by
/// Content-Length, chunked transfer coding, or the end of the connection. Pure; fed by the client.
struct HTTP1ResponseParser {
    private enum State {
        case head
        case fixedLength(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case complete
    }

    let expectsBody: Bool
    let maximumBodySize: Int
    private var state = State.head
    private var buffer: [UInt8] = []
    private var position = 0
    private var status = 0
    private var headers: [HeaderField] = []
    private var body: [UInt8] = []

    /// - Parameter expectsBody: false for HEAD requests, whose responses never carry a body.
    init(expectsBody: Bool = true, maximumBodySize: Int = 16 << 20) {
        self.expectsBody = expectsBody
        self.maximumBodySize = maximumBodySize
    }

    /// The response, once it is complete.
    var response: HTTPResponse? {
        if case .complete = state { return HTTPResponse(status: status, headers: headers, body: body) }
        return nil
    }

    /// Adds received bytes; returns true once the response is complete.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(TransportError) -> Bool {
        buffer.append(contentsOf: bytes)
        try advance()
        if position > 0 && (position == buffer.count || position > 64 * 1024) {
            buffer.removeFirst(position)
            position = 0
        }
        return response != nil
    }

    /// The connection ended: completes a body delimited by the close, or reports truncation.
    mutating func finishAtEndOfStream() throws(TransportError) -> HTTPResponse {
        if case .untilClose = state { state = .complete }
        guard let response else {
            throw TransportError(.protocolError, "the server closed the connection before the HTTP response was complete")
        }
        return response
    }

    private mutating func advance() throws(TransportError) {
        while true {
            switch state {
            case .complete:
                return
            case .head:
                guard let end = Self.endOfHeaders(in: buffer[position...]) else {
                    if buffer.count - position > 64 * 1024 { throw TransportError(.protocolError, "HTTP response headers exceed 64 KiB") }
                    return
                }
                try parseHead(buffer[position..<end])
                position = end
            case .fixedLength(let remaining):
                let take = min(remaining, buffer.count - position)
                try appendBody(buffer[position..<(position + take)])
                position += take
                guard take == remaining else { state = .fixedLength(remaining: remaining - take); return }
                state = .complete
            case .untilClose:
                try appendBody(buffer[position...])
                position = buffer.count
                return
            case .chunkSize:
                guard let line = takeLine() else { return }
                let sizeText = line.split(separator: ";", maxSplits: 1).first.map { $0.trimmingWhitespace() } ?? ""
                guard let size = Int(sizeText, radix: 16), size >= 0 else {
                    throw TransportError(.protocolError, "invalid chunk size '\(sizeText)' in HTTP response")
                }
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let take = min(remaining, buffer.count - position)
                try appendBody(buffer[position..<(position + take)])
                position += take
                guard take == remaining else { state = .chunkData(remaining: remaining - take); return }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard let line = takeLine() else { return }
                guard line.isEmpty else { throw TransportError(.protocolError, "missing CRLF after an HTTP chunk") }
                state = .chunkSize
            case .trailers:
                guard let line = takeLine() else { return }
                if line.isEmpty { state = .complete }
            }
        }
    }

    private mutating func parseHead(_ head: ArraySlice<UInt8>) throws(TransportError) {
        let lines = String(decoding: head, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: true)
        guard let statusLine = lines.first, let code = Self.statusCode(inStatusLine: String(statusLine)) else {
            throw TransportError(.protocolError, "invalid HTTP status line '\(lines.first ?? "")'")
        }
        if (100..<200).contains(code) && code != 101 { return }  // interim response; the real one follows
        status = code
        headers = lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return HeaderField(line[..<colon].trimmingWhitespace().lowercased(), line[line.index(after: colon)...].trimmingWhitespace())
        }
        let transferEncoding = headers.first(named: "transfer-encoding")?.lowercased() ?? ""
        if !expectsBody || code == 204 || code == 304 {
            state = .complete
        } else if transferEncoding.contains("chunked") {
            state = .chunkSize
        } else if let lengthText = headers.first(named: "content-length") {
            guard let length = Int(lengthText), length >= 0 else {
                throw TransportError(.protocolError, "invalid Content-Length '\(lengthText)'")
            }
            guard length <= maximumBodySize else {
                throw TransportError(.protocolError, "HTTP response body of \(length) bytes exceeds the limit of \(maximumBodySize)")
            }
            state = length == 0 ? .complete : .fixedLength(remaining: length)
        } else {
            state = .untilClose
        }
    }

    private mutating func appendBody(_ bytes: ArraySlice<UInt8>) throws(TransportError) {
        guard body.count + bytes.count <= maximumBodySize else {
            throw TransportError(.protocolError, "HTTP response body exceeds the limit of \(maximumBodySize) bytes")
        }
        body.append(contentsOf: bytes)
    }

    /// The next CRLF-terminated line (without CRLF), or nil when it is not complete yet.
    private mutating func takeLine() -> String? {
        var index = position
        while index + 1 < buffer.count {
            if buffer[index] == 13 && buffer[index + 1] == 10 {
                let line = String(decoding: buffer[position..<index], as: UTF8.self)
                position = index + 2
                return line
            }
            index += 1
        }
        return nil
    }

    /// Index just past the blank line that ends a header block.
    static func endOfHeaders(in bytes: ArraySlice<UInt8>) -> Int? {
        var index = bytes.startIndex
        while index + 3 < bytes.endIndex {
            if bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
                return index + 4
            }
            index += 1
        }
        return nil
    }

    static func firstLine(of bytes: [UInt8]) -> String {
        let end = bytes.firstIndex(of: 13) ?? bytes.endIndex
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// `HTTP/1.1 407 Proxy Authentication Required` → 407.
    static func statusCode(inStatusLine line: String) -> Int? {
        let parts = line.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3 else { return nil }
        return Int(parts[1])
    }
}
