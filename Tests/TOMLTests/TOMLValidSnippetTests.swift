import TOML
import Testing

/// A valid document and the value expected at a dotted-path of plain keys and indices.
struct ValidTOML: CustomTestStringConvertible, Sendable {
    var text: String
    var path: [TOMLPathStep]
    var expected: TOMLValue

    init(_ text: String, _ path: [TOMLPathStep], _ expected: TOMLValue) {
        self.text = text
        self.path = path
        self.expected = expected
    }

    var testDescription: String { text.debugDescription }
}

@Suite("TOML valid snippets")
struct TOMLValidSnippetTests {
    @Test(arguments: [
        ValidTOML("a=1", ["a"], .integer(1)),
        ValidTOML("a\t=\t'x'\t#\tc", ["a"], .string("x")),
        ValidTOML("a = 'x'#no space before comment", ["a"], .string("x")),
        ValidTOML("[a]#c\nb = 1", ["a", "b"], .integer(1)),
        ValidTOML("[ a . \"b c\" . 'd' ]\ne = 1", ["a", "b c", "d", "e"], .integer(1)),
        ValidTOML("\"a.b\".c = 1", ["a.b", "c"], .integer(1)),
        ValidTOML("true = 1", ["true"], .integer(1)),
        ValidTOML("1.2 = 3", ["1", "2"], .integer(3)),
        ValidTOML("-_- = 1", ["-_-"], .integer(1)),
        ValidTOML("\"\\u0041\\t\" = 1", ["A\t"], .integer(1)),
        ValidTOML("'' = 1", [""], .integer(1)),
        ValidTOML("[a]", ["a"], .table(TOMLTable())),
        ValidTOML("a = [ [ ] ]", ["a"], .array([TOMLNode(value: .array([]), position: TOMLPosition(line: 1, column: 7))])),
        ValidTOML("a = {a.b.c = 1}", ["a", "a", "b", "c"], .integer(1)),
        ValidTOML("k = \"\"\"\\\\\"\"\"", ["k"], .string("\\")),
        ValidTOML("k = \"\\\\\"", ["k"], .string("\\")),
        ValidTOML("k = '''''''", ["k"], .string("'")),
        ValidTOML("k = \"\"\"\"\"\"\"", ["k"], .string("\"")),
        ValidTOML("k = \"\"\"a\n\"\"\"", ["k"], .string("a\n")),
        ValidTOML("k = \"\"\"\r\na\r\n\"\"\"", ["k"], .string("a\n")),
        ValidTOML("k = \"\"\"a \\\r\n  b\"\"\"", ["k"], .string("a b")),
        ValidTOML("k = \"\"\"a\\\n\n\n   \"\"\"", ["k"], .string("a")),
        ValidTOML("k = \"#not a comment\"", ["k"], .string("#not a comment")),
        ValidTOML("k = 1979-05-27T07:32:00.5Z", ["k"], .datetime("1979-05-27T07:32:00.5Z")),
        ValidTOML("k = [1979-05-27, 07:32:00]", ["k", 1], .datetime("07:32:00")),
        ValidTOML("k = 1979-05-27 # date then comment", ["k"], .datetime("1979-05-27")),
        ValidTOML("k = 1e-0", ["k"], .float(1)),
        ValidTOML("k = -1.5E+3", ["k"], .float(-1500)),
        ValidTOML("k = 0.1", ["k"], .float(0.1)),
        ValidTOML("k = 9_223_372_036_854_775_807", ["k"], .integer(.max)),
        ValidTOML("k = 0b0", ["k"], .integer(0)),
        ValidTOML("k = 0o7_7", ["k"], .integer(63)),
        ValidTOML("k = 0x00_ff", ["k"], .integer(255)),
        ValidTOML("k = [1,2,]", ["k", 1], .integer(2)),
        ValidTOML("k = [\n\n1\n\n,\n\n]", ["k", 0], .integer(1)),
        ValidTOML("k = {}", ["k"], .table(TOMLTable())),
        ValidTOML("k = { a = [ { b = 1 } ] }", ["k", "a", 0, "b"], .integer(1)),
        ValidTOML("k = 'tab\there'", ["k"], .string("tab\there")),
        ValidTOML("[a.b]\n[a]\nc = 1", ["a", "c"], .integer(1)),
        ValidTOML("[a]\nb.c = 1\nb.d = 2", ["a", "b", "d"], .integer(2)),
        ValidTOML("a.b = 1\n[a.c]\nd = 2", ["a", "c", "d"], .integer(2)),
        ValidTOML("[[x]]\n[x.y]\nz = 1\n[[x]]\n[x.y]\nz = 2", ["x", 1, "y", "z"], .integer(2)),
    ])
    func validDocumentsParse(_ valid: ValidTOML) {
        let doc = parseValid(valid.text)
        var current: TOMLValue? = .table(doc)
        for step in valid.path {
            switch (step, current) {
            case (.key(let key), .table(let table)?):
                current = table[key]?.value
            case (.index(let index), .array(let elements)?) where elements.indices.contains(index):
                current = elements[index].value
            default:
                current = nil
            }
        }
        #expect(current == valid.expected)
    }

    @Test func keywordsAreOrdinaryKeys() {
        let doc = parseValid("inf = nan\nnan = inf\nfalse = true")
        #expect(value(doc, "inf")?.floatValue?.isNaN == true)
        #expect(value(doc, "nan") == .float(.infinity))
        #expect(value(doc, "false") == .boolean(true))
    }

    @Test func repeatedArrayTableHeadersMakeEmptyElements() {
        let doc = parseValid("[[a]]\n[[a]]\n[[a]]")
        #expect(value(doc, "a")?.arrayValue?.map(\.value) == Array(repeating: .table(TOMLTable()), count: 3))
        #expect(node(doc, "a", 2)?.position == pos(3, 1))
    }
}
