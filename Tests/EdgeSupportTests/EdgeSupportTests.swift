import EdgeSupport
import Testing

@Suite struct EdgeSupportTests {
    @Test func utf8Validation_rejectsOverlongSurrogatesAndTruncation() {
        func valid(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBufferPointer { UTF8Validation.isValid($0) } }
        #expect(valid(Array("plain ascii".utf8)))
        #expect(valid(Array("grüße €𝄞 日本".utf8)))
        #expect(valid([0xF4, 0x8F, 0xBF, 0xBF]))  // U+10FFFF
        #expect(!valid([0xF4, 0x90, 0x80, 0x80]))  // > U+10FFFF
        #expect(!valid([0xC0, 0xAF]))  // overlong '/'
        #expect(!valid([0xE0, 0x80, 0xAF]))  // overlong
        #expect(!valid([0xED, 0xA0, 0x80]))  // UTF-16 surrogate
        #expect(!valid([0xC3]))  // truncated
        #expect(!valid([0xE2, 0x82]))  // truncated
        #expect(!valid([0x80]))  // stray continuation
        #expect(!valid([0xE2, 0x28, 0xA1]))  // bad continuation
        #expect(!valid([0xFF]))
        #expect(UTF8Validation.string([0x68, 0xC3, 0xA9]) == "hé")
    }

    @Test func utf8Validation_namesTheFirstBadByte() {
        let bytes: [UInt8] = Array("ok é".utf8) + [0xC0, 0xAF] + Array("x".utf8)
        #expect(bytes.withUnsafeBufferPointer { UTF8Validation.firstInvalidOffset($0) } == 5)
    }

    @Test func base64_matchesRFC4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (input, output) in vectors { #expect(Base64.encode(Array(input.utf8)) == output) }
    }

    @Test func jsonString_escapesQuotesBackslashesAndControls() {
        #expect(JSONString.quoted("plain") == "\"plain\"")
        #expect(JSONString.quoted("a\"b\\c") == #""a\"b\\c""#)
        #expect(JSONString.quoted("\n\r\t\u{08}\u{0C}") == #""\n\r\t\b\f""#)
        #expect(JSONString.quoted("\u{01}\u{1F}\u{7F}") == #""\u0001\u001f\u007f""#)
        #expect(JSONString.quoted("grüße €") == "\"grüße €\"")
    }

    @Test func fnv1a_matchesReferenceVectors() {
        // From the FNV reference test suite (64-bit FNV-1a).
        #expect(FNV1a.hash([UInt8]()) == Int64(bitPattern: 0xcbf2_9ce4_8422_2325))
        #expect(FNV1a.hash(Array("a".utf8)) == Int64(bitPattern: 0xaf63_dc4c_8601_ec8c))
        #expect(FNV1a.hash(Array("foobar".utf8)) == Int64(bitPattern: 0x8594_4171_f739_67e8))
    }
}
