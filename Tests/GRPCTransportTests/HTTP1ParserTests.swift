import Testing
@testable import GRPCTransport

@Suite struct HTTP1ParserTests {
    /// Feeds the text in pieces of `chunk` bytes; returns the response once complete (or at EOF).
    private func parse(_ text: String, chunk: Int, expectsBody: Bool = true, endOfStream: Bool = false) throws -> HTTPResponse? {
        var parser = HTTP1ResponseParser(expectsBody: expectsBody)
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunk, bytes.count)
            if try bytes[offset..<end].withUnsafeBytes({ try parser.feed($0) }) { return parser.response }
            offset = end
        }
        return endOfStream ? try parser.finishAtEndOfStream() : parser.response
    }

    @Test(arguments: [1, 3, 1000])
    func contentLengthBody(chunk: Int) throws {
        let response = try parse("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"token\":\"x\"}", chunk: chunk)
        #expect(response?.status == 200)
        #expect(response?.headers.first(named: "content-type") == "application/json")
        #expect(response.map { String(decoding: $0.body, as: UTF8.self) } == "{\"token\":\"x\"}")
    }

    @Test(arguments: [1, 5, 1000])
    func chunkedBodyWithExtensionsAndTrailers(chunk: Int) throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n"
        let response = try parse(text, chunk: chunk)
        #expect(response.map { String(decoding: $0.body, as: UTF8.self) } == "Wikipedia in \r\n\r\nchunks.")
    }

    @Test func bodyDelimitedByClose() throws {
        let text = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello"
        #expect(try parse(text, chunk: 4) == nil)
        #expect(try parse(text, chunk: 4, endOfStream: true).map { String(decoding: $0.body, as: UTF8.self) } == "hello")
    }

    @Test func truncatedBodyIsAnError() {
        #expect(throws: TransportError.self) {
            try parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", chunk: 100, endOfStream: true)
        }
    }

    @Test func interimResponsesAreSkipped() throws {
        let response = try parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", chunk: 7)
        #expect(response?.status == 201)
        #expect(response?.body == Array("ok".utf8))
    }

    @Test func noBodyForHeadAnd204() throws {
        #expect(try parse("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n", chunk: 100, expectsBody: false)?.body == [])
        #expect(try parse("HTTP/1.1 204 No Content\r\n\r\n", chunk: 100)?.status == 204)
    }

    @Test func invalidStatusLineIsAProtocolError() {
        #expect(throws: TransportError.self) { try parse("SSH-2.0-OpenSSH\r\n\r\n", chunk: 100) }
        #expect(HTTP1ResponseParser.statusCode(inStatusLine: "HTTP/1.1 407 Proxy Authentication Required") == 407)
        #expect(HTTP1ResponseParser.statusCode(inStatusLine: "HTTP/2 200") == nil)
    }

    @Test func requestSerialization_addsHostLengthAndClose() throws {
        let url = try ParsedURL(parsing: "https://auth.example.com/oidc/v1/token")
        let request = HTTP1Client.serializeRequest(method: "POST", target: url,
                                                   headers: [HeaderField("Content-Type", "application/x-www-form-urlencoded")],
                                                   body: Array("a=b".utf8), userAgent: "ua/1")
        #expect(String(decoding: request, as: UTF8.self) == "POST /oidc/v1/token HTTP/1.1\r\nHost: auth.example.com\r\nUser-Agent: ua/1\r\n"
            + "Content-Length: 3\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\na=b")
        let custom = HTTP1Client.serializeRequest(method: "GET", target: try ParsedURL(parsing: "http://h:8080/x"),
                                                  headers: [HeaderField("Host", "override")], body: [], userAgent: "ua")
        #expect(String(decoding: custom, as: UTF8.self) == "GET /x HTTP/1.1\r\nUser-Agent: ua\r\nConnection: close\r\nHost: override\r\n\r\n")
    }
}
