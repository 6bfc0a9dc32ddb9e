import CMbedTLS
import Glibc

/// A TLS client channel on mbedTLS: 2.28 (Debian 12, TLS 1.2 only) or 3.6 (Debian 13, TLS 1.3 when the
/// server offers it, else 1.2). The version differences live in the CMbedTLS shim (`zb_tls_*`).
///
/// Every mbedTLS context is heap-allocated because mbedTLS keeps raw pointers between them
/// (ssl→conf, conf→ca_chain, conf→p_rng, conf→alpn_list, ssl→p_bio); they never move and are
/// freed in `deinit`. The socket I/O goes through our own bio callbacks (`send` with
/// `MSG_NOSIGNAL`), never `mbedtls_net_send`, so a closed peer cannot raise SIGPIPE.
final class TLSChannel: ByteChannel {
    static let systemTrustStorePath = "/etc/ssl/certs/ca-certificates.crt"

    let socket: TCPSocket
    private let ssl = UnsafeMutablePointer<mbedtls_ssl_context>.allocate(capacity: 1)
    private let config = UnsafeMutablePointer<mbedtls_ssl_config>.allocate(capacity: 1)
    private let trustAnchors = UnsafeMutablePointer<mbedtls_x509_crt>.allocate(capacity: 1)
    private let drbg = UnsafeMutablePointer<mbedtls_ctr_drbg_context>.allocate(capacity: 1)
    private let entropy = UnsafeMutablePointer<mbedtls_entropy_context>.allocate(capacity: 1)
    /// NULL-terminated ALPN list; mbedTLS stores the pointer without copying, so it lives as long as `config`.
    private let alpnList: UnsafeMutablePointer<UnsafePointer<CChar>?>
    private let alpnCount: Int
    /// Length of a write that returned WANT_WRITE: mbedTLS must be called again with exactly it.
    private var pendingWriteLength: Int?
    /// Name used for SNI and verification.
    let serverName: String

    private init(socket: TCPSocket, serverName: String, alpn: [String]) {
        self.socket = socket
        self.serverName = serverName
        alpnCount = alpn.count
        alpnList = .allocate(capacity: alpn.count + 1)
        for (index, name) in alpn.enumerated() { alpnList[index] = UnsafePointer(strdup(name)) }
        alpnList[alpn.count] = nil
        mbedtls_ssl_init(ssl)
        mbedtls_ssl_config_init(config)
        mbedtls_x509_crt_init(trustAnchors)
        mbedtls_ctr_drbg_init(drbg)
        mbedtls_entropy_init(entropy)
    }

    deinit {
        mbedtls_ssl_free(ssl)
        mbedtls_ssl_config_free(config)
        mbedtls_x509_crt_free(trustAnchors)
        mbedtls_ctr_drbg_free(drbg)
        mbedtls_entropy_free(entropy)
        for index in 0..<alpnCount { free(UnsafeMutablePointer(mutating: alpnList[index])) }
        alpnList.deallocate()
        ssl.deallocate()
        config.deallocate()
        trustAnchors.deallocate()
        drbg.deallocate()
        entropy.deallocate()
    }

    /// Configures a client (VERIFY_REQUIRED, TLS ≥ 1.2, SNI, ALPN) and runs the handshake.
    /// Nothing but handshake records is written before the server certificate has verified.
    static func connect(
        over socket: TCPSocket, serverName: String, alpn: [String], options: ConnectionOptions, deadline: Deadline
    ) throws(TransportError) -> TLSChannel {
        let channel = TLSChannel(socket: socket, serverName: serverName, alpn: alpn)
        try channel.configure(options: options)
        try channel.handshake(until: deadline)
        return channel
    }

    /// `psa_crypto_init()` on 3.x, once per process (a `static let` runs its initialiser exactly once).
    private static let libraryReady: Int32 = zb_tls_global_init()
    /// What 3.x's read returns after it has consumed a TLS 1.3 NewSessionTicket; 0 (never an error) on 2.28.
    private static let newSessionTicket: Int32 = zb_tls_err_new_session_ticket()

    /// The negotiated protocol version, "TLSv1.2" or "TLSv1.3".
    var tlsVersion: String { String(cString: mbedtls_ssl_get_version(ssl)) }

    /// The protocol the server selected with ALPN, if any.
    var negotiatedProtocol: String? {
        mbedtls_ssl_get_alpn_protocol(ssl).map { String(cString: $0) }
    }

    private func configure(options: ConnectionOptions) throws(TransportError) {
        try check(Self.libraryReady, "initialising PSA crypto")
        let personalization = Array("zerobus-edge-tls".utf8)
        try check(mbedtls_ctr_drbg_seed(drbg, mbedtls_entropy_func, entropy, personalization, personalization.count),
                  "seeding the random generator")
        try loadTrustAnchors(options)
        try check(mbedtls_ssl_config_defaults(config, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                              MBEDTLS_SSL_PRESET_DEFAULT), "configuring TLS")
        mbedtls_ssl_conf_authmode(config, MBEDTLS_SSL_VERIFY_REQUIRED)
        mbedtls_ssl_conf_ca_chain(config, trustAnchors, nil)
        mbedtls_ssl_conf_rng(config, mbedtls_ctr_drbg_random, drbg)
        zb_tls_conf_min_tls12(config)
        if alpnCount > 0 {  // an empty list would send a malformed, empty ALPN extension
            try check(mbedtls_ssl_conf_alpn_protocols(config, alpnList), "setting ALPN")
        }
        try check(mbedtls_ssl_setup(ssl, config), "setting up TLS")
        try check(mbedtls_ssl_set_hostname(ssl, serverName), "setting the server name")
        mbedtls_ssl_set_bio(ssl, Unmanaged.passUnretained(socket).toOpaque(), tlsSendCallback, tlsReceiveCallback, nil)
    }

    private func loadTrustAnchors(_ options: ConnectionOptions) throws(TransportError) {
        if options.useSystemTrustStore {
            // A bundle may hold a few certificates mbedTLS cannot parse (positive result); that is fine.
            let result = mbedtls_x509_crt_parse_file(trustAnchors, Self.systemTrustStorePath)
            if result < 0 {
                throw TransportError(.tlsHandshake, "cannot load the system trust store \(Self.systemTrustStorePath): \(mbedTLSErrorText(result))")
            }
        }
        if let path = options.extraCAFile {
            let result = mbedtls_x509_crt_parse_file(trustAnchors, path)
            if result != 0 {
                let reason = result < 0 ? mbedTLSErrorText(result) : "\(result) certificate(s) could not be parsed"
                throw TransportError(.tlsHandshake, "cannot load CA file \(path): \(reason)")
            }
        }
        if trustAnchors.pointee.version == 0 {  // public in 2.28 and 3.6 alike
            throw TransportError(.tlsHandshake, "no trust anchors: the system trust store is off and no CA file was given")
        }
    }

    private func handshake(until deadline: Deadline) throws(TransportError) {
        while true {
            let result = mbedtls_ssl_handshake(ssl)
            switch result {
            case 0:
                return
            case MBEDTLS_ERR_SSL_WANT_READ, MBEDTLS_ERR_SSL_WANT_WRITE:
                let readiness: IOReadiness = result == MBEDTLS_ERR_SSL_WANT_READ ? .readable : .writable
                try waitOrThrow(readiness, until: deadline, doing: "performing the TLS handshake")
            default:
                let flags = mbedtls_ssl_get_verify_result(ssl)
                if result == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED || (flags != 0 && flags != UInt32.max) {
                    throw TransportError(.certificateVerification,
                        "certificate of \(socket.peerDescription) failed verification for '\(serverName)': \(verifyInfo(flags))")
                }
                throw TransportError(.tlsHandshake, "TLS handshake with \(socket.peerDescription) failed: \(mbedTLSErrorText(result))")
            }
        }
    }

    private func verifyInfo(_ flags: UInt32) -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        let length = mbedtls_x509_crt_verify_info(&buffer, buffer.count, "", flags)
        guard length > 0 else { return "verification failed (flags 0x\(String(flags, radix: 16)))" }
        let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return text.split(separator: "\n").map { $0.trimmingWhitespace() }.joined(separator: "; ")
    }

    var hasBufferedInput: Bool { mbedtls_ssl_get_bytes_avail(ssl) > 0 || socket.hasUnreadBytes }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> IOResult {
        var result = mbedtls_ssl_read(ssl, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), buffer.count)
        while Self.newSessionTicket != 0 && result == Self.newSessionTicket {  // a ticket, not data: read on
            result = mbedtls_ssl_read(ssl, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), buffer.count)
        }
        switch result {
        case 1...: return .transferred(Int(result))
        case 0, MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY, MBEDTLS_ERR_SSL_CONN_EOF: return .endOfStream
        case MBEDTLS_ERR_SSL_WANT_READ: return .wouldBlock(.readable)
        case MBEDTLS_ERR_SSL_WANT_WRITE: return .wouldBlock(.writable)
        default: throw TransportError(.io, "TLS read from \(socket.peerDescription) failed: \(mbedTLSErrorText(result))")
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) -> IOResult {
        // After WANT_WRITE mbedTLS has already encrypted a record of `pendingWriteLength` bytes and
        // reports that length once it is flushed, so the retry must pass exactly that length.
        let length = pendingWriteLength ?? Swift.min(bytes.count, Int(MBEDTLS_SSL_OUT_CONTENT_LEN))
        precondition(bytes.count >= length, "TLS write retried with fewer bytes than the pending record")
        let result = mbedtls_ssl_write(ssl, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), length)
        switch result {
        case 0...:
            pendingWriteLength = nil
            return .transferred(Int(result))
        case MBEDTLS_ERR_SSL_WANT_WRITE, MBEDTLS_ERR_SSL_WANT_READ:
            pendingWriteLength = length
            return .wouldBlock(result == MBEDTLS_ERR_SSL_WANT_READ ? .readable : .writable)
        default:
            throw TransportError(.io, "TLS write to \(socket.peerDescription) failed: \(mbedTLSErrorText(result))")
        }
    }

    func shutdown(until deadline: Deadline) {
        while true {
            let result = mbedtls_ssl_close_notify(ssl)
            guard result == MBEDTLS_ERR_SSL_WANT_WRITE || result == MBEDTLS_ERR_SSL_WANT_READ else { return }
            let readiness: IOReadiness = result == MBEDTLS_ERR_SSL_WANT_READ ? .readable : .writable
            guard (try? socket.wait(for: readiness, until: deadline)) == true else { return }
        }
    }

    private func check(_ result: Int32, _ activity: String) throws(TransportError) {
        if result != 0 { throw TransportError(.tlsHandshake, "\(activity) failed: \(mbedTLSErrorText(result))") }
    }
}

func mbedTLSErrorText(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    mbedtls_strerror(code, &buffer, buffer.count)
    let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    return "\(text) (-0x\(String(-code, radix: 16)))"
}

/// Bio send: `send(MSG_NOSIGNAL)` on the channel's socket.
private func tlsSendCallback(_ context: UnsafeMutableRawPointer?, _ bytes: UnsafePointer<UInt8>?, _ length: Int) -> Int32 {
    let socket = Unmanaged<TCPSocket>.fromOpaque(context!).takeUnretainedValue()
    do {
        switch try socket.send(UnsafeRawBufferPointer(start: bytes, count: length)) {
        case .transferred(let count): return Int32(count)
        case .wouldBlock: return MBEDTLS_ERR_SSL_WANT_WRITE
        case .endOfStream: return MBEDTLS_ERR_NET_CONN_RESET
        }
    } catch {
        return MBEDTLS_ERR_NET_SEND_FAILED
    }
}

/// Bio receive: bytes pushed back by the proxy step first, then `recv`.
private func tlsReceiveCallback(_ context: UnsafeMutableRawPointer?, _ bytes: UnsafeMutablePointer<UInt8>?, _ length: Int) -> Int32 {
    let socket = Unmanaged<TCPSocket>.fromOpaque(context!).takeUnretainedValue()
    do {
        switch try socket.receive(into: UnsafeMutableRawBufferPointer(start: bytes, count: length)) {
        case .transferred(let count): return Int32(count)
        case .wouldBlock: return MBEDTLS_ERR_SSL_WANT_READ
        case .endOfStream: return 0
        }
    } catch {
        return MBEDTLS_ERR_NET_RECV_FAILED
    }
}
