import TOML
import Testing

@Suite("TOML values")
struct TOMLValueTests {
    @Test func basicStringEscapes() {
        let doc = parseValid(#"s = "tab\there \"q\" back\\slash \b\f\n\r \u00E9 \U0001F600 end""#)
        #expect(value(doc, "s") == .string("tab\there \"q\" back\\slash \u{8}\u{C}\n\r é 😀 end"))
    }

    @Test func literalStringsKeepBackslashes() {
        let doc = parseValid(#"path = 'C:\Users\nodejs\templates'"# + "\n" + #"re = '<\i\c*\s*>'"#)
        #expect(value(doc, "path") == .string(#"C:\Users\nodejs\templates"#))
        #expect(value(doc, "re") == .string(#"<\i\c*\s*>"#))
    }

    @Test func emptyStringsAndUnicodeContent() {
        let doc = parseValid("a = \"\"\nb = ''\nc = \"grüße ✓\"\nd = \"tab\tinside\"")
        #expect(value(doc, "a") == .string(""))
        #expect(value(doc, "b") == .string(""))
        #expect(value(doc, "c") == .string("grüße ✓"))
        #expect(value(doc, "d") == .string("tab\tinside"))
    }

    @Test func multilineBasicTrimsFirstNewlineAndJoinsBackslashLines() {
        let text = "a = \"\"\"\nRoses\nViolets\"\"\"\n"
            + "b = \"\"\"\\\n    The quick \\\n\n    brown \\   \n    fox.\\\n    \"\"\"\n"
            + "c = \"\"\"Here are two quotes: \"\". Five: \"\"\"\"\"\n"
            + "d = \"\"\"line\r\nnext\"\"\""
        let doc = parseValid(text)
        #expect(value(doc, "a") == .string("Roses\nViolets"))
        #expect(value(doc, "b") == .string("The quick brown fox."))
        #expect(value(doc, "c") == .string("Here are two quotes: \"\". Five: \"\""))
        #expect(value(doc, "d") == .string("line\nnext"))
    }

    @Test func multilineLiteralKeepsEverythingVerbatim() {
        let text = "re = '''I [dw]on't need \\d{2} apples'''\n"
            + "lines = '''\nThe first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n'''\n"
            + "quotes = ''''That,' she said, 'is still pointless.''''"
        let doc = parseValid(text)
        #expect(value(doc, "re") == .string("I [dw]on't need \\d{2} apples"))
        #expect(
            value(doc, "lines")
                == .string("The first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n")
        )
        #expect(value(doc, "quotes") == .string("'That,' she said, 'is still pointless.'"))
    }

    @Test func multilineStringAdvancesLineNumbers() {
        let doc = parseValid("a = \"\"\"\none\ntwo\n\"\"\"\nb = 1")
        #expect(node(doc, "b")?.keyPosition == pos(5, 1))
    }

    @Test func decimalIntegers() {
        let doc = parseValid(
            "a = +99\nb = 42\nc = 0\nd = -17\ne = 1_000\nf = 5_349_221\ng = 1_2_3_4_5\nh = -0\ni = +0\n"
                + "max = 9223372036854775807\nmin = -9223372036854775808"
        )
        #expect(value(doc, "a") == .integer(99))
        #expect(value(doc, "b") == .integer(42))
        #expect(value(doc, "c") == .integer(0))
        #expect(value(doc, "d") == .integer(-17))
        #expect(value(doc, "e") == .integer(1000))
        #expect(value(doc, "f") == .integer(5_349_221))
        #expect(value(doc, "g") == .integer(12345))
        #expect(value(doc, "h") == .integer(0))
        #expect(value(doc, "i") == .integer(0))
        #expect(value(doc, "max") == .integer(.max))
        #expect(value(doc, "min") == .integer(.min))
    }

    @Test func hexOctalBinaryIntegers() {
        let doc = parseValid(
            "h1 = 0xDEADBEEF\nh2 = 0xdeadbeef\nh3 = 0xdead_beef\no1 = 0o01234567\no2 = 0o755\nb1 = 0b11010110\n"
                + "hmax = 0x7FFFFFFFFFFFFFFF\nz = 0x0"
        )
        #expect(value(doc, "h1") == .integer(0xDEAD_BEEF))
        #expect(value(doc, "h2") == .integer(0xDEAD_BEEF))
        #expect(value(doc, "h3") == .integer(0xDEAD_BEEF))
        #expect(value(doc, "o1") == .integer(0o01234567))
        #expect(value(doc, "o2") == .integer(0o755))
        #expect(value(doc, "b1") == .integer(0b11010110))
        #expect(value(doc, "hmax") == .integer(.max))
        #expect(value(doc, "z") == .integer(0))
    }

    @Test func floats() {
        let doc = parseValid(
            "a = +1.0\nb = 3.1415\nc = -0.01\nd = 5e+22\ne = 1e06\nf = -2E-2\ng = 6.626e-34\n"
                + "h = 224_617.445_991_228\ni = 0.0\nj = -0.0\nk = 0e0\nl = 1e1_0"
        )
        #expect(value(doc, "a") == .float(1.0))
        #expect(value(doc, "b") == .float(3.1415))
        #expect(value(doc, "c") == .float(-0.01))
        #expect(value(doc, "d") == .float(5e22))
        #expect(value(doc, "e") == .float(1e6))
        #expect(value(doc, "f") == .float(-2e-2))
        #expect(value(doc, "g") == .float(6.626e-34))
        #expect(value(doc, "h") == .float(224_617.445_991_228))
        #expect(value(doc, "i") == .float(0))
        #expect(value(doc, "j")?.floatValue?.sign == .minus)
        #expect(value(doc, "k") == .float(0))
        #expect(value(doc, "l") == .float(1e10))
    }

    @Test func infinityAndNaN() {
        let doc = parseValid("a = inf\nb = +inf\nc = -inf\nd = nan\ne = +nan\nf = -nan")
        #expect(value(doc, "a") == .float(.infinity))
        #expect(value(doc, "b") == .float(.infinity))
        #expect(value(doc, "c") == .float(-.infinity))
        for key in ["d", "e", "f"] {
            #expect(value(doc, .key(key))?.floatValue?.isNaN == true, "\(key)")
        }
    }

    @Test func booleans() {
        let doc = parseValid("t = true\nf = false")
        #expect(value(doc, "t") == .boolean(true))
        #expect(value(doc, "f") == .boolean(false))
        #expect(value(doc, "t")?.typeName == "boolean")
    }

    @Test(arguments: [
        "1979-05-27T07:32:00Z",
        "1979-05-27T00:32:00-07:00",
        "1979-05-27T00:32:00.999999-07:00",
        "1979-05-27 07:32:00Z",
        "1979-05-27t07:32:00z",
        "1979-05-27T07:32:00",
        "1979-05-27T00:32:00.999999",
        "1979-05-27 07:32:00",
        "1979-05-27",
        "07:32:00",
        "00:32:00.999999",
        "2000-02-29",
        "2024-02-29T23:59:60+14:00",
        "0001-01-01",
    ])
    func datetimesAreValidatedAndKeptAsText(_ text: String) {
        let doc = parseValid("d = \(text) # comment")
        #expect(value(doc, "d") == .datetime(text))
        #expect(value(doc, "d")?.typeName == "datetime")
    }

    @Test func typeNames() {
        let doc = parseValid("s = 'x'\ni = 1\nf = 1.5\nb = true\nd = 2020-01-01\na = []\nt = {}")
        let names = doc.entries.map { $0.node.value.typeName }
        #expect(names == ["string", "integer", "float", "boolean", "datetime", "array", "table"])
    }

    @Test func arraysMayMixTypesSpanLinesAndEndWithComma() {
        let text = """
            mixed = [ 1, 'two', 3.0, [4, 5], { six = 6 }, 1979-05-27, ]
            multi = [
              "a",   # first
              # a comment line
              "b"
              ,
            ]
            empty = [ ]
            nested = [[1, 2], [3, [4]]]
            """
        let doc = parseValid(text)
        #expect(value(doc, "mixed", 0) == .integer(1))
        #expect(value(doc, "mixed", 1) == .string("two"))
        #expect(value(doc, "mixed", 2) == .float(3))
        #expect(value(doc, "mixed", 3, 1) == .integer(5))
        #expect(value(doc, "mixed", 4, "six") == .integer(6))
        #expect(value(doc, "mixed", 5) == .datetime("1979-05-27"))
        #expect(value(doc, "mixed")?.arrayValue?.count == 6)
        #expect(value(doc, "multi")?.arrayValue?.map(\.value) == [.string("a"), .string("b")])
        #expect(value(doc, "empty") == .array([]))
        #expect(value(doc, "nested", 1, 1, 0) == .integer(4))
    }

    @Test func byteInputIsValidatedAsUTF8() throws {
        let good = try TOML.parse(utf8: [0xEF, 0xBB, 0xBF] + Array("k = \"é\"\n".utf8))
        #expect(good["k"]?.value == .string("é"))
        do {
            _ = try TOML.parse(utf8: Array("a = 1\nb = \"x".utf8) + [0xC3, 0x28] + Array("\"".utf8))
            Issue.record("invalid UTF-8 was accepted")
        } catch {
            #expect(error.position == pos(2, 7))
            #expect(error.message.contains("invalid UTF-8 byte 0xC3"))
        }
        for bad: [UInt8] in [[0xED, 0xA0, 0x80], [0xC0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            #expect(throws: TOMLError.self) { try TOML.parse(utf8: Array("s = '".utf8) + bad + [0x27]) }
        }
    }
}
