import Testing
@testable import AgentCore

@Suite struct JSONParserTests {
    private func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    @Test func parsesADocument() throws {
        let value = try parse(#" { "a" : [1, -2.5, true, false, null, "x"], "b": {"c": {}} , "d": [] } "#)
        let expected = JSONValue.object(JSONObject([
            .init(key: "a", value: .array([
                .number(JSONNumber(integer: 1)), .number(JSONNumber(double: -2.5)),
                .bool(true), .bool(false), .null, .string("x"),
            ])),
            .init(key: "b", value: .object(JSONObject([.init(key: "c", value: .object(JSONObject()))]))),
            .init(key: "d", value: .array([])),
        ]))
        #expect(value == expected)
    }

    @Test func scalarsAtTheTopLevel() throws {
        #expect(try parse("42") == .number(JSONNumber(integer: 42)))
        #expect(try parse(" \"hi\" ") == .string("hi"))
        #expect(try parse("null") == .null)
    }

    /// They used to keep the last value silently; which one a sender meant is unknowable.
    @Test func duplicateKeysAreRefused() throws {
        #expect(throws: JSONParseError(offset: 7, message: #"duplicate key "a" in object"#)) { try parse(#"{"a":1,"a":2}"#) }
        #expect(throws: JSONParseError(offset: 13, message: #"duplicate key "b" in object"#)) {
            try parse(#"{"b":{"b":1},"b":2}"#)
        }
        // Same key in different objects is fine; a large object takes the set-based path.
        guard case .object(let nested) = try parse(#"{"a":{"a":1},"b":[{"a":2},{"a":3}]}"#) else { Issue.record("not an object"); return }
        #expect(nested.members.count == 2)
        let many = (0..<40).map { "\"k\($0)\":\($0)" }
        guard case .object(let large) = try parse("{" + many.joined(separator: ",") + "}") else { Issue.record("not an object"); return }
        #expect(large.members.count == 40)
        #expect(throws: JSONParseError(offset: 341, message: #"duplicate key "k3" in object"#)) {
            try parse("{" + (many + [#""k3":0"#]).joined(separator: ",") + "}")
        }
    }

    /// 1e-400 used to become 0, a plausible reading; now it is refused like 1e400.
    @Test func underflowIsRefused() {
        #expect(throws: JSONParseError(offset: 0, message: "number 1e-400 is too small for a double (it would read as 0)")) {
            try parse("1e-400")
        }
        #expect(throws: JSONParseError(offset: 6, message: "number -0.000000000000000000001e-310 is too small for a double (it would read as 0)")) {
            try parse(#"{"v": -0.000000000000000000001e-310}"#)
        }
    }

    @Test(arguments: [
        ("0", Int64(0), 0.0),
        ("-0", Int64(0), -0.0),
        ("9223372036854775807", Int64.max, 9.223372036854775807e18),
        ("-9223372036854775808", Int64.min, -9.223372036854775808e18),
        ("9007199254740993", Int64(9_007_199_254_740_993), 9_007_199_254_740_992.0),
        ("1e3", Int64(1000), 1000.0),
        ("1.5e3", Int64(1500), 1500.0),
        ("21.0", Int64(21), 21.0),
    ])
    func integralNumbers(text: String, integer: Int64, double: Double) throws {
        guard case .number(let number) = try parse(text) else { Issue.record("not a number"); return }
        #expect(number.integer == integer)
        #expect(number.double == double)
        #expect(number.double.sign == double.sign)
    }

    @Test(arguments: [
        ("21.5", 21.5),
        ("-0.1", -0.1),
        ("0.1", 0.1),
        ("1.7976931348623157e308", 1.7976931348623157e308),
        ("5e-324", Double.leastNonzeroMagnitude),
        ("0e-400", 0.0),
        ("0.0e-999", 0.0),
        ("123456789012345678901234567890", 1.2345678901234568e29),
        ("9223372036854775808", 9.223372036854775808e18),
        ("3.141592653589793238462643383279", 3.141592653589793),
        ("2.2250738585072011e-308", Double(bitPattern: 0x000F_FFFF_FFFF_FFFF)),
        ("0.000001", 1e-6),
        ("1E+2", 100.0),
        ("12345.6789e-3", 12.3456789),
    ])
    func floatingNumbers(text: String, double: Double) throws {
        guard case .number(let number) = try parse(text) else { Issue.record("not a number"); return }
        #expect(number.double == double)
    }

    @Test func largeIntegersBeyondInt64HaveNoExactValue() throws {
        guard case .number(let number) = try parse("9223372036854775808") else { Issue.record("not a number"); return }
        #expect(number.integer == nil)
        guard case .number(let fraction) = try parse("2.5") else { Issue.record("not a number"); return }
        #expect(fraction.integer == nil)
    }

    @Test func stringEscapes() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        #expect(try parse(#""\u00e9\u20AC""#) == .string("é€"))
        #expect(try parse(#""\ud83d\ude00 smile""#) == .string("😀 smile"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
        #expect(try parse("\"grüße 日本\"") == .string("grüße 日本"))
        #expect(try parse(#""grüße\n日本""#) == .string("grüße\n日本"))
    }

    @Test(arguments: [
        ("", 0, "unexpected end of input, expected a value"),
        ("   ", 3, "unexpected end of input, expected a value"),
        ("{", 1, "unexpected end of input in object, expected a string key"),
        ("{\"a\" 1}", 5, "unexpected character '1' after object key, expected ':'"),
        ("{\"a\":1,}", 7, "unexpected character '}' in object, expected a string key"),
        ("[1,]", 3, "unexpected character ']', expected a value"),
        ("[1 2]", 3, "unexpected character '2' in array, expected ',' or ']'"),
        ("{'a':1}", 1, "unexpected character ''' in object, expected a string key"),
        ("01", 1, "invalid number, leading zeros are not allowed"),
        ("1.", 2, "invalid number, expected a digit after '.'"),
        ("1e", 2, "invalid number, expected a digit in the exponent"),
        ("-", 1, "invalid number, expected a digit"),
        ("+1", 0, "unexpected character '+', expected a value"),
        (".5", 0, "unexpected character '.', expected a value"),
        ("1e400", 0, "number out of range"),
        ("NaN", 0, "unexpected character 'N', expected a value"),
        ("tru", 0, "invalid literal, expected 'true'"),
        ("nul", 0, "invalid literal, expected 'null'"),
        ("{} x", 3, "unexpected character 'x' after the JSON value"),
        ("\"abc", 0, "unterminated string"),
        ("\"a\tb\"", 2, "unescaped control character in string"),
        ("\"\\x\"", 1, "invalid escape sequence '\\x'"),
        ("\"\\u12G4\"", 1, "invalid hex digit in \\u escape"),
        ("\"\\u12", 1, "truncated \\u escape"),
        ("\"\\ud83d\"", 1, "unpaired UTF-16 surrogate in \\u escape"),
        ("\"\\ude00\"", 1, "unpaired UTF-16 surrogate in \\u escape"),
        ("\"\\ud83d\\u0041\"", 1, "unpaired UTF-16 surrogate in \\u escape"),
    ])
    func invalidDocuments(text: String, offset: Int, message: String) {
        #expect(throws: JSONParseError(offset: offset, message: message)) { try parse(text) }
    }

    @Test func invalidUTF8IsRejected() {
        #expect(throws: JSONParseError(offset: 0, message: "string is not valid UTF-8")) {
            try JSONParser.parse([0x22, 0xC3, 0x28, 0x22])
        }
        #expect(throws: JSONParseError(offset: 0, message: "string is not valid UTF-8")) {
            try JSONParser.parse([0x22, 0x5C, 0x6E, 0xFF, 0x22])
        }
    }

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try parse(ok) }
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParseError(offset: 64, message: "nesting deeper than 64 levels")) { try parse(deep) }
        #expect(throws: JSONParseError(offset: 10, message: "nesting deeper than 2 levels")) {
            try JSONParser.parse(Array(#"{"a":{"b":[1]}}"#.utf8), maxDepth: 2)
        }
    }

    @Test func errorDescriptionNamesTheByteOffset() {
        #expect(JSONParseError(offset: 17, message: "x").description == "invalid JSON at byte 17: x")
    }

    @Test func compactTextRoundTrips() throws {
        let text = #"{"a":[1,-2.5,true,null],"b\n\"":"\u0001é","c":{}}"#
        let value = try parse(text)
        #expect(value.compactText == text)
        #expect(try parse(value.compactText) == value)
        #expect(try parse("1e20").compactText == "1e+20")
        #expect(try parse("1e15").compactText == "1000000000000000")
        #expect(try parse("1e300").compactText == "1e+300")
    }

    @Test func parseNumberHelper() {
        func number(_ text: String) -> JSONNumber? {
            Array(text.utf8).withUnsafeBufferPointer { JSONParser.parseNumber($0) }
        }
        #expect(number("42")?.integer == 42)
        #expect(number("-1.5")?.double == -1.5)
        #expect(number("42 ") == nil)
        #expect(number("abc") == nil)
        #expect(number("") == nil)
    }
}
