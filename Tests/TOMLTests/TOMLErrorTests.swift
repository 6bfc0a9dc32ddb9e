import TOML
import Testing

/// An invalid document, where its error must be reported, and a phrase the message must contain.
struct InvalidTOML: CustomTestStringConvertible, Sendable {
    var text: String
    var line: Int
    var column: Int
    var message: String

    init(_ text: String, _ line: Int, _ column: Int, _ message: String) {
        self.text = text
        self.line = line
        self.column = column
        self.message = message
    }

    var testDescription: String { text.debugDescription }
}

@Suite("TOML errors")
struct TOMLErrorTests {
    @Test func duplicateKeyNamesTheKeyAndTheFirstLine() {
        let error = parseError("[mqtt]\nurl = \"a\"\nqos = 1\nurl = \"b\"")
        #expect(error?.position == pos(4, 1))
        #expect(error?.message == "duplicate key 'url' (first defined at line 2)")
        #expect(error?.description == "line 4, column 1: duplicate key 'url' (first defined at line 2)")
    }

    @Test func duplicateKeyInsideAnArrayOfTablesElementAndInlineTable() {
        let inTable = parseError("[[table]]\nname = 'a'\n[[table]]\nname = 'b'\n  name = 'c'")
        #expect(inTable?.position == pos(5, 3))
        #expect(inTable?.message == "duplicate key 'name' (first defined at line 4)")
        let inline = parseError("columns = [\n  { name = 'a', from = 'x', from = 'y' },\n]")
        #expect(inline?.position == pos(2, 29))
        #expect(inline?.message == "duplicate key 'from' (first defined at line 2)")
    }

    @Test func definingAKeyTwiceThroughDottedKeys() {
        let twice = parseError("a.b = 1\na.b = 2")
        #expect(twice?.position == pos(2, 3))
        #expect(twice?.message == "duplicate key 'a.b' (first defined at line 1)")
        let overValue = parseError("a = false\na.b = true")
        #expect(overValue?.position == pos(2, 1))
        #expect(overValue?.message.contains("'a' is already a boolean (defined at line 1), not a table") == true)
        let tableThenValue = parseError("a.b.c = 1\na.b = 2")
        #expect(tableThenValue?.message == "duplicate key 'a.b' (first defined at line 1)")
    }

    @Test func redefiningATable() {
        let twice = parseError("[a]\nb = 1\n\n[a]\nc = 2")
        #expect(twice?.position == pos(4, 1))
        #expect(twice?.message == "table [a] is defined twice (first defined at line 1)")
        let superTwice = parseError("[a.b]\n[a]\n[a]")
        #expect(superTwice?.position == pos(3, 1))
        #expect(superTwice?.message.contains("defined twice (first defined at line 2)") == true)
        let subTwice = parseError("[[x]]\n[x.y]\n[x.y]")
        #expect(subTwice?.position == pos(3, 1))
    }

    @Test func headerCannotReopenATableMadeByDottedKeys() {
        let direct = parseError("[fruit]\napple.color = \"red\"\n[fruit.apple]")
        #expect(direct?.position == pos(3, 1))
        #expect(
            direct?.message == "cannot define table [fruit.apple]: it was already created by dotted keys at line 2"
        )
        let deeper = parseError("[fruit]\napple.taste.sweet = true\n[fruit.apple.taste]")
        #expect(deeper?.position == pos(3, 1))
    }

    @Test func dottedKeysCannotExtendTablesMadeByHeaders() {
        let explicit = parseError("[a.b]\n  z = 9\n[a]\n  b.c = 'no'")
        #expect(explicit?.position == pos(4, 3))
        #expect(explicit?.message.contains("table [a.b] is defined by the header at line 1") == true)
        let injection = parseError("[a.b.c]\n  z = 9\n[a]\n  b.c.t = 'no'")
        #expect(injection?.position == pos(4, 3))
        let implicit = parseError("[a.b.c]\n[a]\nb.d = 1")
        #expect(implicit?.position == pos(3, 1))
        #expect(implicit?.message.contains("[a.b] was created implicitly by the header at line 1") == true)
        let throughArray = parseError("[[a.b]]\n[a]\nb.y = 2")
        #expect(throughArray?.position == pos(3, 1))
        #expect(throughArray?.message.contains("'a.b' is an array of tables (defined at line 1)") == true)
    }

    @Test func inlineTablesCannotBeExtended() {
        let dotted = parseError("[product]\ntype = { name = \"Nail\" }\ntype.edible = false")
        #expect(dotted?.position == pos(3, 1))
        #expect(
            dotted?.message
                == "cannot add key 'type.edible': 'product.type' is already an inline table (defined at line 2), "
                + "and inline tables cannot be extended"
        )
        let header = parseError("a = {}\n[a]")
        #expect(header?.position == pos(2, 1))
        #expect(header?.message.contains("key 'a' is already an inline table (defined at line 1)") == true)
        let subHeader = parseError("a = { b = 1 }\n[a.c]")
        #expect(subHeader?.position == pos(2, 2))
        #expect(subHeader?.message.contains("inline tables cannot be extended") == true)
        let inside = parseError("a = { b = { c = 1 }, b.d = 2 }")
        #expect(inside?.position == pos(1, 22))
    }

    @Test func arraysOfTablesAndTablesDoNotMix() {
        let tableAfterArray = parseError("[[a]]\n[a]")
        #expect(tableAfterArray?.position == pos(2, 1))
        #expect(tableAfterArray?.message.contains("it is an array of tables (defined at line 1); use [[a]]") == true)
        let arrayAfterTable = parseError("[a]\n[[a]]")
        #expect(arrayAfterTable?.position == pos(2, 1))
        #expect(arrayAfterTable?.message.contains("'a' is already a table (defined at line 1)") == true)
        let staticArray = parseError("a = [1]\n[[a]]")
        #expect(staticArray?.message.contains("cannot append to an array written with = [...]") == true)
        let inlineArray = parseError("a = [{ b = 1 }]\n[[a]]")
        #expect(inlineArray?.position == pos(2, 1))
        let implicitParent = parseError("[[albums.songs]]\nname = 'x'\n[[albums]]")
        #expect(implicitParent?.position == pos(3, 1))
    }

    @Test func nestingIsCapped() {
        let error = parseError("a = " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200))
        #expect(error?.message.contains("nested more than 128 levels") == true)
        let longKey = parseError(Array(repeating: "k", count: 200).joined(separator: ".") + " = 1")
        #expect(longKey?.message == "key has more than 128 dotted parts")
        #expect(longKey?.position == pos(1, 1))
    }

    @Test(arguments: [
        // Keys and '='
        InvalidTOML("key \"value\"", 1, 5, "expected '=' after key 'key', found '\"'"),
        InvalidTOML("key", 1, 4, "expected '=' after key 'key'"),
        InvalidTOML("a b = 1", 1, 3, "keys with spaces or special characters must be quoted"),
        InvalidTOML("a = ", 1, 5, "missing value for key 'a' after '='"),
        InvalidTOML("a = # no", 1, 5, "missing value for key 'a'"),
        InvalidTOML("= 1", 1, 1, "missing key before '='"),
        InvalidTOML("a.= 1", 1, 3, "missing key before '='"),
        InvalidTOML("x = 1\n$ = 2", 2, 1, "expected a key, found '$'"),
        InvalidTOML("ü = 1", 1, 1, "expected a key, found 'ü' (U+00FC)"),
        InvalidTOML("\"\"\"k\"\"\" = 1", 1, 1, "multi-line strings cannot be used as keys"),
        InvalidTOML("a = 1 b = 2", 1, 7, "unexpected 'b' after the value of 'a'"),
        InvalidTOML("a = 'x'''", 1, 8, "unexpected \"'\" after the value of 'a'"),
        InvalidTOML("a = 1\n\"b = 2", 2, 1, "unterminated string"),
        InvalidTOML("a = 1 = 2", 1, 7, "unexpected '='"),
        // Headers
        InvalidTOML("[]", 1, 2, "empty table name"),
        InvalidTOML("[a", 1, 3, "expected ']' to close the table header, found end of file"),
        InvalidTOML("[a.]", 1, 4, "expected a key, found ']'"),
        InvalidTOML("[a b]", 1, 4, "expected ']' to close the table header, found 'b'"),
        InvalidTOML("[[a]", 1, 4, "expected ']]'"),
        InvalidTOML("[a] x = 1", 1, 5, "unexpected 'x' after table header [a]"),
        InvalidTOML("[a..b]", 1, 4, "expected a key, found '.'"),
        // Strings
        InvalidTOML("a = \"abc\nb = 1", 1, 5, "unterminated string: missing closing \""),
        InvalidTOML("a = 'abc", 1, 5, "unterminated string: missing closing '"),
        InvalidTOML("x = 1\na = \"\"\"abc\n\nb = 1", 2, 5, "unterminated multi-line string"),
        InvalidTOML("a = '''abc''", 1, 5, "unterminated multi-line string"),
        InvalidTOML("a = \"\\x\"", 1, 6, "invalid escape: '\\' followed by 'x'"),
        InvalidTOML("a = \"\\e\"", 1, 6, "invalid escape"),
        InvalidTOML("a = \"a\\ b\"", 1, 7, "invalid escape: '\\' followed by ' '"),
        InvalidTOML("a = \"x\\\ny\"", 1, 7, "followed by a line break"),
        InvalidTOML("a = \"\"\"x\\ y\"\"\"", 1, 9, "invalid escape"),
        InvalidTOML("a = \"\\uD800\"", 1, 6, "U+D800 is not a Unicode scalar value"),
        InvalidTOML("a = \"\\U00110000\"", 1, 6, "U+110000 is not a Unicode scalar value"),
        InvalidTOML("a = \"\\u12\"", 1, 6, "\\u must be followed by exactly 4 hexadecimal digits"),
        InvalidTOML("a = \"\\U1234567\"", 1, 6, "\\U must be followed by exactly 8 hexadecimal digits"),
        InvalidTOML("a = \"\"\"x\"\"\"\"\"\"", 1, 14, "too many quotes"),
        InvalidTOML("a = \"x\" \"y\"", 1, 9, "unexpected '\"' after the value of 'a'"),
        // Control characters and line endings
        InvalidTOML("a = \"x\u{7}y\"", 1, 7, "control character U+0007 is not allowed in a string"),
        InvalidTOML("a = 'x\u{7F}y'", 1, 7, "control character U+007F is not allowed in a string"),
        InvalidTOML("a = '''x\u{0}'''", 1, 9, "control character U+0000"),
        InvalidTOML("a = \"\"\"x\u{1F}\"\"\"", 1, 9, "control character U+001F"),
        InvalidTOML("# bell \u{7}\na = 1", 1, 8, "control character U+0007 is not allowed in a comment"),
        InvalidTOML("a = 1\rb = 2", 1, 6, "carriage return (U+000D) must be followed by a line feed"),
        InvalidTOML("a = \"\"\"x\ry\"\"\"", 1, 9, "carriage return"),
        InvalidTOML("a = 1\u{C}", 1, 6, "unexpected control character U+000C"),
        // Integers
        InvalidTOML("n = 9223372036854775808", 1, 5, "does not fit in 64 bits"),
        InvalidTOML("n = -9223372036854775809", 1, 5, "does not fit in 64 bits"),
        InvalidTOML("n = 0x8000000000000000", 1, 5, "does not fit in 64 bits"),
        InvalidTOML("n = 0b1111111111111111111111111111111111111111111111111111111111111111", 1, 5, "does not fit"),
        InvalidTOML("n = 012", 1, 5, "leading zeros are not allowed"),
        InvalidTOML("n = -01", 1, 5, "leading zeros are not allowed"),
        InvalidTOML("n = 1__2", 1, 5, "an underscore must sit between two digits"),
        InvalidTOML("n = _1", 1, 5, "invalid number '_1': an underscore must sit between two digits"),
        InvalidTOML("n = 1_", 1, 5, "an underscore must sit between two digits"),
        InvalidTOML("n = 0x_1", 1, 5, "an underscore must sit between two digits"),
        InvalidTOML("n = +0x1", 1, 5, "cannot have a sign"),
        InvalidTOML("n = 0x", 1, 5, "no digits after the prefix"),
        InvalidTOML("n = 0o8", 1, 5, "'8' is not a octal digit"),
        InvalidTOML("n = 0b2", 1, 5, "not a binary digit"),
        InvalidTOML("n = 0X1F", 1, 5, "unexpected 'X'"),
        InvalidTOML("n = 1a", 1, 5, "unexpected 'a'"),
        InvalidTOML("n = ++1", 1, 5, "unexpected '+'"),
        // Floats
        InvalidTOML("f = .5", 1, 5, "a digit is required before the '.'"),
        InvalidTOML("f = 1.", 1, 5, "a digit is required after the '.'"),
        InvalidTOML("f = 1.e5", 1, 5, "a digit is required after the '.'"),
        InvalidTOML("f = 1e", 1, 5, "the exponent has no digits"),
        InvalidTOML("f = 1e_5", 1, 5, "underscore"),
        InvalidTOML("f = 1.2.3", 1, 5, "unexpected '.'"),
        InvalidTOML("f = 1_.5", 1, 5, "underscore"),
        InvalidTOML("f = 03.14", 1, 5, "leading zeros are not allowed"),
        InvalidTOML("f = 1e400", 1, 5, "out of range for a 64-bit float"),
        InvalidTOML("f = Inf", 1, 5, "write inf and nan in lowercase"),
        InvalidTOML("f = infinity", 1, 5, "text values must be quoted"),
        InvalidTOML("f = -nan_", 1, 5, "unexpected 'n'"),
        // Booleans and bare text
        InvalidTOML("b = True", 1, 5, "booleans are lowercase (true or false)"),
        InvalidTOML("b = truex", 1, 5, "invalid value 'truex': text values must be quoted"),
        InvalidTOML("[agent]\nlog_level = info", 2, 13, "invalid value 'info': text values must be quoted (\"info\")"),
        InvalidTOML("a = ,", 1, 5, "expected a value, found ','"),
        InvalidTOML("url = mqtt://host:1883 # x", 1, 7, "text values must be quoted (\"mqtt://host:1883\")"),
        // Date/times
        InvalidTOML("d = 2023-02-29", 1, 5, "day 29 is out of range for that month (01-28)"),
        InvalidTOML("d = 2023-04-31", 1, 5, "day 31 is out of range"),
        InvalidTOML("d = 2023-00-10", 1, 5, "month 0 is out of range"),
        InvalidTOML("d = 2023-13-01", 1, 5, "month 13 is out of range"),
        InvalidTOML("d = 2023-01-00", 1, 5, "day 0 is out of range"),
        InvalidTOML("d = 1900-02-29", 1, 5, "out of range"),
        InvalidTOML("d = 24:00:00", 1, 5, "hour 24 is out of range"),
        InvalidTOML("d = 12:60:00", 1, 5, "minute 60 is out of range"),
        InvalidTOML("d = 12:00:61", 1, 5, "second 61 is out of range"),
        InvalidTOML("d = 07:32", 1, 5, "seconds are required"),
        InvalidTOML("d = 7:32:00", 1, 5, "unexpected ':'"),
        InvalidTOML("d = 1979-05-27T", 1, 5, "HH:MM:SS"),
        InvalidTOML("d = 1979-05-27T07:32:00.", 1, 5, "a digit is required after the '.'"),
        InvalidTOML("d = 1979-05-27X07:32:00", 1, 5, "expected 'T' or a space"),
        InvalidTOML("d = 1979-5-27", 1, 5, "unexpected '-'"),
        InvalidTOML("d = 07:32:00Z", 1, 5, "a time without a date cannot have a time-zone offset"),
        InvalidTOML("d = 1979-05-27T07:32:00+7:00", 1, 5, "offset must be Z or ±HH:MM"),
        InvalidTOML("d = 1979-05-27T07:32:00+24:00", 1, 5, "offset is out of range"),
        InvalidTOML("d = 1979-05-27T07:32:00Zx", 1, 5, "unexpected text after the time-zone offset"),
        InvalidTOML("d = 1979-05-27 07:32", 1, 5, "seconds are required"),
        // Arrays
        InvalidTOML("a = [1, 2", 1, 5, "unterminated array: no closing ']' for this '['"),
        InvalidTOML("a = [1 2]", 1, 8, "expected ',' or ']' after an array element, found '2'"),
        InvalidTOML("a = [1,,2]", 1, 8, "expected a value in the array, found ','"),
        InvalidTOML("a = [,]", 1, 6, "expected a value in the array, found ','"),
        InvalidTOML("a = [\n  1,\n  2\n  3\n]", 4, 3, "expected ',' or ']'"),
        // Inline tables
        InvalidTOML("a = { b = 1,\n c = 2 }", 1, 13, "inline tables must be on a single line"),
        InvalidTOML("a = {\n}", 1, 6, "inline tables must be on a single line"),
        InvalidTOML("a = { b = 1 # c\n}", 1, 13, "inline tables must be on a single line"),
        InvalidTOML("a = { b = 1, }", 1, 14, "trailing comma is not allowed in an inline table"),
        InvalidTOML("a = { b = 1 c = 2 }", 1, 13, "expected ',' or '}' in inline table, found 'c'"),
        InvalidTOML("a = { b = 1", 1, 5, "unterminated inline table"),
        InvalidTOML("a = { b }", 1, 9, "expected '=' after key 'b', found '}'"),
        InvalidTOML("a = { b = 1, b = 2 }", 1, 14, "duplicate key 'b' (first defined at line 1)"),
    ])
    func invalidDocumentsReportWhereAndWhat(_ invalid: InvalidTOML) {
        guard let error = parseError(invalid.text) else { return }
        #expect(error.position == pos(invalid.line, invalid.column), "\(error)")
        #expect(error.message.contains(invalid.message), "\(error)")
    }
}
