import Testing
@testable import AgentCore

@Suite struct JSONPathTests {
    private let document = try! JSONParser.parse(Array(#"""
        {"a": {"b": 1, "list": [{"b": "first"}, {"b": "second"}]}, "odd key": true, "it's": 2, "x.y": 3, "top": null}
        """#.utf8))

    @Test(arguments: [
        ("$", [JSONPath.Component]()),
        ("$.a.b", [.key("a"), .key("b")]),
        ("$.a[0].b", [.key("a"), .index(0), .key("b")]),
        ("$.a.list[-1]", [.key("a"), .key("list"), .index(-1)]),
        ("$['odd key']", [.key("odd key")]),
        (#"$["odd key"].x"#, [.key("odd key"), .key("x")]),
        (#"$['it\'s']"#, [.key("it's")]),
        ("$['x.y']", [.key("x.y")]),
        ("$[0][1]", [.index(0), .index(1)]),
        ("$.température", [.key("température")]),
    ])
    func parses(text: String, components: [JSONPath.Component]) throws {
        #expect(try JSONPath(parsing: text).components == components)
    }

    @Test(arguments: [
        ("a.b", "a JSON path starts with '$'"),
        ("", "a JSON path starts with '$'"),
        ("$.", "empty key after '.'"),
        ("$..a", "recursive descent '..' is not supported"),
        ("$.a.*", "wildcards are not supported"),
        ("$[*]", "wildcards are not supported"),
        ("$[x]", "'[x]' is not an array index"),
        ("$[1", "unterminated '['"),
        ("$['a'", "unterminated quoted key"),
        ("$['a]", "unterminated quoted key"),
        ("$a", "unexpected 'a', expected '.' or '['"),
        ("$.a b", "key 'a b' needs bracket notation, e.g. $['a b']"),
    ])
    func rejects(text: String, message: String) {
        #expect(throws: JSONPathError(path: text, message: message)) { try JSONPath(parsing: text) }
    }

    @Test(arguments: [
        ("$.a.b", JSONValue.number(JSONNumber(integer: 1))),
        ("$.a.list[0].b", .string("first")),
        ("$.a.list[-1].b", .string("second")),
        ("$['odd key']", .bool(true)),
        ("$['x.y']", .number(JSONNumber(integer: 3))),
        ("$.top", .null),
    ])
    func evaluates(text: String, expected: JSONValue) throws {
        #expect(try JSONPath(parsing: text).evaluate(document) == expected)
    }

    @Test(arguments: ["$.missing", "$.a.list[2]", "$.a.list[-3]", "$.a.b.c", "$.a[0]", "$.a.list.b"])
    func missingValuesAreNil(text: String) throws {
        #expect(try JSONPath(parsing: text).evaluate(document) == nil)
    }

    @Test func rootSelectsTheWholeDocument() throws {
        #expect(try JSONPath(parsing: "$").evaluate(document) == document)
    }

    @Test(arguments: [
        ("$", "$"), ("$.a.b", "$.a.b"), ("$['a'][0]", "$.a[0]"), ("$['odd key']", "$['odd key']"),
        (#"$["it's"]"#, #"$['it\'s']"#),
    ])
    func canonicalDescription(text: String, expected: String) throws {
        let path = try JSONPath(parsing: text)
        #expect(path.description == expected)
        #expect(try JSONPath(parsing: path.description) == path)
    }
}
