import TOML
import Testing

@Suite("TOML tables, keys and positions")
struct TOMLStructureTests {
    @Test func keysBareQuotedAndDotted() {
        let text = """
            bare_key = 1
            bare-key = 2
            1234 = 3
            "127.0.0.1" = 4
            "character encoding" = 5
            'quoted "value"' = 6
            "" = 7
            name.first = "Tom"
            site."google.com" = true
            a . b . c = 8
            "ʎǝʞ" = 9
            """
        let doc = parseValid(text)
        #expect(value(doc, "bare_key") == .integer(1))
        #expect(value(doc, "bare-key") == .integer(2))
        #expect(value(doc, "1234") == .integer(3))
        #expect(value(doc, "127.0.0.1") == .integer(4))
        #expect(value(doc, "character encoding") == .integer(5))
        #expect(value(doc, "quoted \"value\"") == .integer(6))
        #expect(value(doc, "") == .integer(7))
        #expect(value(doc, "name", "first") == .string("Tom"))
        #expect(value(doc, "site", "google.com") == .boolean(true))
        #expect(value(doc, "a", "b", "c") == .integer(8))
        #expect(value(doc, "ʎǝʞ") == .integer(9))
        #expect(doc.keys.prefix(3) == ["bare_key", "bare-key", "1234"])
    }

    @Test func tablesKeepSourceOrderAndImplicitParents() {
        let text = """
            top = 0
            [x.y.z.w]
            deep = 1
            [x]
            direct = 2
            [dog."tater.man"]
            type.name = "pug"
            [ j . "ʞ" . 'l' ]
            """
        let doc = parseValid(text)
        #expect(doc.keys == ["top", "x", "dog", "j"])
        #expect(value(doc, "x", "y", "z", "w", "deep") == .integer(1))
        #expect(value(doc, "x", "direct") == .integer(2))
        #expect(value(doc, "x")?.tableValue?.keys == ["y", "direct"])
        #expect(value(doc, "dog", "tater.man", "type", "name") == .string("pug"))
        #expect(value(doc, "j", "ʞ", "l") == .table(TOMLTable()))
        // The implicit [x] became explicit at line 4: its position moves to that header.
        #expect(node(doc, "x")?.position == pos(4, 1))
        #expect(node(doc, "x")?.keyPosition == pos(4, 2))
        #expect(node(doc, "x", "y")?.position == pos(2, 4))
    }

    @Test func dottedKeysCreateTablesAndHeadersMayGoBelowThem() {
        let text = """
            [fruit]
            apple.color = "red"
            apple.taste.sweet = true
            [fruit.apple.texture]
            smooth = true
            """
        let doc = parseValid(text)
        #expect(value(doc, "fruit", "apple", "color") == .string("red"))
        #expect(value(doc, "fruit", "apple", "taste", "sweet") == .boolean(true))
        #expect(value(doc, "fruit", "apple", "texture", "smooth") == .boolean(true))
        #expect(node(doc, "fruit", "apple")?.keyPosition == pos(2, 1))
        #expect(node(doc, "fruit", "apple", "color")?.keyPosition == pos(2, 7))
        #expect(node(doc, "fruit", "apple", "color")?.position == pos(2, 15))
    }

    @Test func arraysOfTablesWithSubTables() {
        let text = """
            [[fruits]]
            name = "apple"

            [fruits.physical]  # subtable
            color = "red"
            shape = "round"

            [[fruits.varieties]]  # nested array of tables
            name = "red delicious"

            [[fruits.varieties]]
            name = "granny smith"

            [[fruits]]
            name = "banana"

            [[fruits.varieties]]
            name = "plantain"
            """
        let doc = parseValid(text)
        #expect(value(doc, "fruits")?.arrayValue?.count == 2)
        #expect(value(doc, "fruits", 0, "physical", "color") == .string("red"))
        #expect(value(doc, "fruits", 0, "varieties", 1, "name") == .string("granny smith"))
        #expect(value(doc, "fruits", 1, "name") == .string("banana"))
        #expect(value(doc, "fruits", 1, "physical") == nil)
        #expect(value(doc, "fruits", 1, "varieties", 0, "name") == .string("plantain"))
        // Each element is positioned at its own [[header]]; the array at the first one.
        #expect(node(doc, "fruits")?.position == pos(1, 1))
        #expect(node(doc, "fruits", 1)?.position == pos(14, 1))
        #expect(node(doc, "fruits", 1)?.keyPosition == pos(14, 3))
        #expect(node(doc, "fruits", 1, "name")?.keyPosition == pos(15, 1))
        #expect(node(doc, "fruits", 0, "varieties", 1)?.keyPosition == pos(11, 10))
    }

    @Test func arrayOfTablesBelowImplicitAndDottedTables() {
        let doc = parseValid("[[a.b]]\nx = 1\n[a]\ny = 2\n[t]\nd.e = 1\n[[t.d.list]]\nz = 3")
        #expect(value(doc, "a", "b", 0, "x") == .integer(1))
        #expect(value(doc, "a", "y") == .integer(2))
        #expect(value(doc, "t", "d", "list", 0, "z") == .integer(3))
    }

    @Test func inlineTablesNestAndAllowDottedKeys() {
        let text = """
            name = { first = "Tom", last = "Preston-Werner" }
            point = {x=1,y=2}
            animal = { type.name = "pug", type.legs = 4 }
            nested = { inner = { deep = [1, 2] }, empty = {} }
            spanning = { list = [
              1,
              2 ] }
            """
        let doc = parseValid(text)
        #expect(value(doc, "name", "last") == .string("Preston-Werner"))
        #expect(value(doc, "point")?.tableValue?.keys == ["x", "y"])
        #expect(value(doc, "animal", "type", "legs") == .integer(4))
        #expect(value(doc, "nested", "inner", "deep", 1) == .integer(2))
        #expect(value(doc, "nested", "empty") == .table(TOMLTable()))
        #expect(value(doc, "spanning", "list")?.arrayValue?.count == 2)
        #expect(node(doc, "point", "y")?.keyPosition == pos(2, 14))
        #expect(node(doc, "point", "y")?.position == pos(2, 16))
    }

    @Test func inlineTablesInsideAnArrayCarryKeyPositions() {
        let text = """
            columns = [
              { name = "device_id",  type = "string", from = "topic[1]" },
              { name = "value", type = "double", from = "$.value", optional = true },
            ]
            """
        let doc = parseValid(text)
        let columns = value(doc, "columns")?.arrayValue ?? []
        #expect(columns.count == 2)
        #expect(columns.map(\.position) == [pos(2, 3), pos(3, 3)])
        #expect(columns[0].keyPosition == nil)
        #expect(value(doc, "columns", 1, "optional") == .boolean(true))
        let from = node(doc, "columns", 1, "from")
        #expect(from?.keyPosition == pos(3, 38))
        #expect(from?.position == pos(3, 45))
        #expect(from?.value == .string("$.value"))
    }

    @Test func positionsOfKeysAndValues() {
        let text = "# header comment\n\n[server]\n  host   = \"x\"\n\tport=8080\n  \"quoted key\" = [1,\n    2]\n"
        let doc = parseValid(text)
        #expect(node(doc, "server")?.position == pos(3, 1))
        #expect(node(doc, "server")?.keyPosition == pos(3, 2))
        #expect(node(doc, "server", "host")?.keyPosition == pos(4, 3))
        #expect(node(doc, "server", "host")?.position == pos(4, 12))
        #expect(node(doc, "server", "port")?.keyPosition == pos(5, 2))
        #expect(node(doc, "server", "port")?.position == pos(5, 7))
        #expect(node(doc, "server", "quoted key")?.keyPosition == pos(6, 3))
        #expect(node(doc, "server", "quoted key", 1)?.position == pos(7, 5))
        #expect(node(doc, "server", "quoted key", 1)?.keyPosition == nil)
    }

    @Test func columnsCountCharactersNotBytes() {
        let doc = parseValid("\"ключ\" = \"значение\"  \n\"ü\" = 1")
        #expect(node(doc, "ключ")?.position == pos(1, 10))
        #expect(node(doc, "ü")?.position == pos(2, 7))
        #expect(TOMLPosition(line: 2, column: 5).description == "2:5")
    }

    @Test func crlfLineEndingsAndCommentsEverywhere() {
        let doc = parseValid("# c\r\na = 1 # c\r\n[t] # c\r\nb = [ # c\r\n 2, # c\r\n] # c\r\n")
        #expect(value(doc, "a") == .integer(1))
        #expect(value(doc, "t", "b", 0) == .integer(2))
        #expect(node(doc, "t", "b")?.keyPosition == pos(4, 1))
    }

    @Test func emptyAndCommentOnlyDocuments() {
        #expect(parseValid("").isEmpty)
        #expect(parseValid("# nothing\n\n   \n# more").isEmpty)
        #expect(parseValid("\u{FEFF}a = 1")["a"]?.value == .integer(1))
    }

    @Test func tableSubscriptAndEntriesStayInStep() {
        var table = parseValid("b = 1\na = 2")
        #expect(table.keys == ["b", "a"])
        #expect(table["a"]?.value == .integer(2))
        #expect(table["missing"] == nil)
        table.entries.append((key: "c", node: TOMLNode(value: .boolean(true), position: pos(9, 9))))
        #expect(table["c"]?.value == .boolean(true))
        #expect(table.count == 3)
    }

    @Test func largeTablesFindEveryKeyAndCatchDuplicates() {
        let lines = (0..<40).map { "k\($0) = \($0)" }
        let doc = parseValid(lines.joined(separator: "\n"))
        #expect(doc.count == 40)
        for index in 0..<40 {
            #expect(doc["k\(index)"]?.value == .integer(Int64(index)))
        }
        let early = parseError(lines.joined(separator: "\n") + "\nk3 = 0")
        #expect(early?.message == "duplicate key 'k3' (first defined at line 4)")
        #expect(early?.position == pos(41, 1))
        let late = parseError(lines.joined(separator: "\n") + "\nk39 = 0")
        #expect(late?.message == "duplicate key 'k39' (first defined at line 40)")
    }
}
