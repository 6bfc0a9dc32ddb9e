/// A structural check of a PEM certificate file (CA bundle or client certificate), without a TLS
/// library: AgentCore stays free of C types, and what goes wrong in practice is the wrong file
/// (a key, a DER file, an HTML error page, a truncated copy), which this catches. A certificate
/// that is well-formed but wrong (expired, another CA) still only shows when connecting.
enum PEMCertificates {
    static let begin = "-----BEGIN CERTIFICATE-----"
    static let end = "-----END CERTIFICATE-----"

    /// Why `bytes` is not one or more PEM certificates, or nil when it is. Every
    /// `BEGIN CERTIFICATE` block must be closed and hold base64 of one DER SEQUENCE whose length
    /// matches; text between blocks (comments, `Bundle:` headers) is ignored, as mbedTLS does.
    static func problem(in bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        var rest = Substring(text)
        var count = 0
        while let start = rest.firstRange(of: begin) {
            count += 1
            let body = rest[start.upperBound...]
            guard let stop = body.firstRange(of: end) else { return "certificate \(count) has no '\(end)' line" }
            guard let der = base64Decode(body[..<stop.lowerBound]) else {
                return "certificate \(count) is not valid base64"
            }
            guard isDERSequence(der) else { return "certificate \(count) is not a DER-encoded certificate" }
            rest = body[stop.upperBound...]
        }
        if count == 0 {
            if bytes.first == 0x30 { return "no PEM certificate; this looks like a DER file (convert it with openssl x509 -inform der)" }
            if text.contains("PRIVATE KEY-----") { return "no PEM certificate; this looks like a private key" }
            return "no PEM certificate ('\(begin)') in the file"
        }
        return nil
    }

    /// Standard base64 with `=` padding; whitespace (line breaks) between characters is skipped.
    static func base64Decode(_ text: Substring) -> [UInt8]? {
        var output: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        var symbols = 0
        for byte in text.utf8 {
            let value: UInt32
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): continue
            case UInt8(ascii: "="):
                padding += 1
                symbols += 1
                continue
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            default: return nil
            }
            guard padding == 0 else { return nil }  // data after padding
            symbols += 1
            accumulator = (accumulator << 6) | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        guard symbols > 0, symbols % 4 == 0, padding <= 2 else { return nil }
        return output
    }

    /// A DER SEQUENCE (tag 0x30) whose definite length covers exactly the rest of `der`.
    static func isDERSequence(_ der: [UInt8]) -> Bool {
        guard der.count >= 2, der[0] == 0x30 else { return false }
        var length = Int(der[1])
        var header = 2
        if length & 0x80 != 0 {
            let octets = length & 0x7F
            guard (1...4).contains(octets), der.count >= 2 + octets else { return false }
            length = der[2..<(2 + octets)].reduce(0) { $0 << 8 | Int($1) }
            header += octets
        }
        return header + length == der.count
    }
}
