/// Decides a call's final status from what the server sent, following the gRPC over HTTP/2 spec
/// (grpc/doc/PROTOCOL-HTTP2.md and http-grpc-status-mapping.md). Pure, so it is tested without I/O.
enum GRPCStatusResolver {
    /// - Parameters:
    ///   - responseHeaders: the first HEADERS block (for a Trailers-Only response it carries the status).
    ///   - trailers: the trailing HEADERS block, if one arrived.
    ///   - resetCode: the HTTP/2 error code the stream was closed with (0 = NO_ERROR).
    static func status(responseHeaders: [HeaderField]?, trailers: [HeaderField]?, resetCode: UInt32) -> GRPCStatus {
        for block in [trailers, responseHeaders].compactMap({ $0 }) {
            if let status = status(in: block) { return status }
        }
        if resetCode != 0 {
            return GRPCStatus(code: grpcCode(forHTTP2Error: resetCode),
                              message: "stream reset by the server with HTTP/2 error \(http2ErrorName(resetCode))")
        }
        if let headers = responseHeaders, let httpStatus = headers.first(named: ":status"), httpStatus != "200" {
            let code = Int(httpStatus) ?? 0
            return GRPCStatus(code: grpcCode(forHTTPStatus: code), message: "HTTP status \(httpStatus) without grpc-status")
        }
        return GRPCStatus(code: .internal, message: "the server closed the stream without sending grpc-status")
    }

    /// The status carried by a header block, if it has `grpc-status`.
    static func status(in block: [HeaderField]) -> GRPCStatus? {
        guard let text = block.first(named: "grpc-status") else { return nil }
        let message = block.first(named: "grpc-message").map(percentDecoded) ?? ""
        guard let code = Int(text), code >= 0 else {
            return GRPCStatus(code: .unknown, message: "invalid grpc-status '\(text)'; \(message)")
        }
        return GRPCStatus(code: GRPCStatus.Code(rawValue: code), message: message)
    }

    /// Decodes `%XX` escapes (grpc-message is percent-encoded UTF-8); malformed escapes stay as they are.
    static func percentDecoded(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
               let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    static func grpcCode(forHTTPStatus status: Int) -> GRPCStatus.Code {
        switch status {
        case 400: .internal
        case 401: .unauthenticated
        case 403: .permissionDenied
        case 404: .unimplemented
        case 429, 502, 503, 504: .unavailable
        default: .unknown
        }
    }

    static func grpcCode(forHTTP2Error code: UInt32) -> GRPCStatus.Code {
        switch code {
        case 0x7: .unavailable  // REFUSED_STREAM: not processed, safe to retry
        case 0x8: .cancelled  // CANCEL
        case 0xB: .resourceExhausted  // ENHANCE_YOUR_CALM
        case 0xC: .permissionDenied  // INADEQUATE_SECURITY
        default: .internal
        }
    }

    static func http2ErrorName(_ code: UInt32) -> String {
        let names = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
                     "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
                     "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"]
        return code < names.count ? "\(names[Int(code)]) (\(code))" : "0x\(String(code, radix: 16))"
    }
}
