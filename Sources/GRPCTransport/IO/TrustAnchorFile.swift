import CMbedTLS

/// Loads a PEM certificate file the way `ConnectionOptions.extraCAFile` is loaded at connect
/// time, without connecting: `check-config` uses it so that a CA file mbedTLS cannot use is
/// reported before start-up, not as every connection failing later. Plain Swift types only.
public enum TrustAnchorFile {
    /// Why mbedTLS cannot load `path` as certificates, or nil when every certificate parses.
    public static func problem(atPath path: String) -> String? {
        var chain = mbedtls_x509_crt()
        mbedtls_x509_crt_init(&chain)
        defer { mbedtls_x509_crt_free(&chain) }
        let result = mbedtls_x509_crt_parse_file(&chain, path)
        if result < 0 { return mbedTLSErrorText(result) }
        if result > 0 { return "\(result) certificate(s) could not be parsed" }
        return nil
    }
}
