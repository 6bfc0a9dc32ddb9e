import Glibc
import GRPCTransport
import Testing

/// `TrustAnchorFile.problem(atPath:)`: what check-config asks mbedTLS about a CA file.
@Suite struct TrustAnchorFileTests {
    private func problem(_ text: String) -> String? {
        var template = Array("/tmp/zbe-trust-test-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        precondition(fd >= 0)
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { unlink(path) }
        let bytes = Array(text.utf8)
        _ = Glibc.write(fd, bytes, bytes.count)
        close(fd)
        return TrustAnchorFile.problem(atPath: path)
    }

    @Test func aRealCertificateLoads() {
        #expect(problem(Self.certificate) == nil)
    }

    /// Base64 of a DER SEQUENCE { INTEGER 0 }: well-formed PEM, not a certificate.
    @Test func aWellFormedNonCertificateIsRefused() {
        let text = problem("-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n")
        #expect(text?.contains("X509") == true, "\(text ?? "nil")")
    }

    @Test func aMissingFileIsRefused() {
        #expect(TrustAnchorFile.problem(atPath: "/nonexistent/ca.pem") != nil)
    }

    static let certificate = """
        -----BEGIN CERTIFICATE-----
        MIIBkjCCATmgAwIBAgIUe0GvYKb8j1ufSqeXopaiOmnCn/8wCgYIKoZIzj0EAwIw
        HzEdMBsGA1UEAwwUemVyb2J1cy1lZGdlIHRlc3QgQ0EwHhcNMjYxMjAzMDk0MzQ3
        WhcNMzYxMTMwMDk0MzQ3WjAfMR0wGwYDVQQDDBR6ZXJvYnVzLWVkZ2UgdGVzdCBD
        QTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABBaYWA1BZ0qRL4ICDSBm3+Idutqi
        4OrXWlA3pxI2f4cJ2TxfQVu977RGvUl+FNIehwT3AIHDMDn8SX+lMnPO/MejUzBR
        MB0GA1UdDgQWBBQxeEKZjCrqm75NhAwzikK0Po9gNzAfBgNVHSMEGDAWgBQxeEKZ
        jCrqm75NhAwzikK0Po9gNzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cA
        MEQCIC7V2gUbodufYbDynDgI3eMKsm1hIdTC4tXfINS3l1dqAiAt4ev1a0lTIDXN
        yo9kE/SwcOrPMqLZ/BNODGFxIIUV3Q==
        -----END CERTIFICATE-----

        """
}
