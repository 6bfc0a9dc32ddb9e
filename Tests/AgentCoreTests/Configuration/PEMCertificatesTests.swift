import Testing
@testable import AgentCore

/// The structural PEM check behind `ca_file`/`cert_file` in check-config.
@Suite struct PEMCertificatesTests {
    private func problem(_ text: String) -> String? {
        PEMCertificates.problem(in: Array(text.utf8))
    }

    private let certificate = ConfigFileChecksTests.certificate

    @Test func certificatesAndBundlesPass() {
        #expect(problem(certificate) == nil)
        #expect(problem("subject=CN=a\n" + certificate + "\n\n" + certificate.replacingOccurrences("\n", with: "\r\n")) == nil)
    }

    @Test func whatIsNotACertificateIsNamed() {
        #expect(problem("") == "no PEM certificate ('-----BEGIN CERTIFICATE-----') in the file")
        #expect(problem("-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n")
            == "no PEM certificate; this looks like a private key")
        #expect(PEMCertificates.problem(in: [0x30, 0x82, 0x01, 0x92, 0x30])
            == "no PEM certificate; this looks like a DER file (convert it with openssl x509 -inform der)")
        #expect(problem("-----BEGIN CERTIFICATE-----\nnot*base64\n-----END CERTIFICATE-----\n") == "certificate 1 is not valid base64")
        #expect(problem("-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n")
            == "certificate 1 is not a DER-encoded certificate")
        // One base64 line dropped from the middle: the DER length no longer matches.
        var lines = certificate.split(separator: "\n", omittingEmptySubsequences: false)
        lines.remove(at: 3)
        #expect(problem(certificate + lines.joined(separator: "\n")) == "certificate 2 is not a DER-encoded certificate")
    }

    @Test func base64() {
        #expect(PEMCertificates.base64Decode("QUJD") == Array("ABC".utf8))
        #expect(PEMCertificates.base64Decode("QUI=") == Array("AB".utf8))
        #expect(PEMCertificates.base64Decode("QQ==") == Array("A".utf8))
        #expect(PEMCertificates.base64Decode("QQ=") == nil)
        #expect(PEMCertificates.base64Decode("QQ==QUJD") == nil)
        #expect(PEMCertificates.base64Decode("") == nil)
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
