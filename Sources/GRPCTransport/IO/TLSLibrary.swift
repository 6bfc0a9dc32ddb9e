import CMbedTLS

/// The mbedTLS this process is linked with, for `--version` output and for tests that must know
/// which TLS versions to expect (Debian 12 ships 2.28 without TLS 1.3; Debian 13 ships 3.6 with it).
public enum TLSLibrary {
    /// "mbedTLS 2.28.3", from the library actually loaded (not the headers built against).
    public static var version: String {
        var buffer = [CChar](repeating: 0, count: 32)  // mbedtls_version_get_string needs ≥ 9 bytes
        mbedtls_version_get_string(&buffer)
        return "mbedTLS " + buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Major version of the loaded library (2 or 3).
    public static var majorVersion: Int { Int(mbedtls_version_get_number() >> 24) }

    /// Whether this build was compiled with TLS 1.3 (offered to servers, negotiated when they agree).
    public static var supportsTLS13: Bool { zb_tls_has_tls13() != 0 }
}
