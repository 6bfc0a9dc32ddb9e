/// A JSON path selecting one value: `$`, `$.a.b`, `$.a[0].b`, `$.list[-1]` (last element),
/// `$['odd key']`, `$["x"]`. Wildcards, slices and filters are not supported — a column holds
/// exactly one value.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    public enum Component: Sendable, Hashable {
        case key(String)
        /// An array index; negative counts from the end.
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component]) {
        self.components = components
    }

    /// The root `$`.
    public static let root = JSONPath([])

    public init(parsing text: String) throws(JSONPathError) {
        let characters = Array(text.unicodeScalars)
        func fail(_ message: String) -> JSONPathError { JSONPathError(path: text, message: message) }
        guard characters.first == "$" else { throw fail("a JSON path starts with '$'") }
        var components: [Component] = []
        var position = 1
        while position < characters.count {
            switch characters[position] {
            case ".":
                position += 1
                var key = String.UnicodeScalarView()
                while position < characters.count, characters[position] != ".", characters[position] != "[" {
                    key.append(characters[position])
                    position += 1
                }
                if key.isEmpty {
                    throw fail(position < characters.count && characters[position] == "."
                        ? "recursive descent '..' is not supported" : "empty key after '.'")
                }
                let name = String(key)
                if name == "*" { throw fail("wildcards are not supported") }
                if name.unicodeScalars.contains(where: { $0 == "]" || $0 == "'" || $0 == "\"" || $0 == " " }) {
                    throw fail("key '\(name)' needs bracket notation, e.g. $['\(name)']")
                }
                components.append(.key(name))
            case "[":
                position += 1
                guard position < characters.count else { throw fail("unterminated '['") }
                let opening = characters[position]
                if opening == "'" || opening == "\"" {
                    position += 1
                    var key = String.UnicodeScalarView()
                    var closed = false
                    while position < characters.count {
                        let scalar = characters[position]
                        if scalar == "\\" && position + 1 < characters.count {
                            key.append(characters[position + 1])
                            position += 2
                        } else if scalar == opening {
                            closed = true
                            position += 1
                            break
                        } else {
                            key.append(scalar)
                            position += 1
                        }
                    }
                    guard closed, position < characters.count, characters[position] == "]" else {
                        throw fail("unterminated quoted key")
                    }
                    position += 1
                    components.append(.key(String(key)))
                } else {
                    var digits = ""
                    while position < characters.count, characters[position] != "]" {
                        digits.unicodeScalars.append(characters[position])
                        position += 1
                    }
                    guard position < characters.count else { throw fail("unterminated '['") }
                    position += 1
                    if digits == "*" { throw fail("wildcards are not supported") }
                    guard let index = Int(digits), !digits.hasPrefix("+") else {
                        throw fail("'[\(digits)]' is not an array index")
                    }
                    components.append(.index(index))
                }
            default:
                throw fail("unexpected '\(characters[position])', expected '.' or '['")
            }
        }
        self.components = components
    }

    /// The selected value, or nil when a key is absent, an index is out of bounds, or a step
    /// meets the wrong kind of value.
    public func evaluate(_ root: JSONValue) -> JSONValue? {
        var current = root
        for component in components {
            switch (component, current) {
            case (.key(let key), .object(let object)):
                guard let next = object[key] else { return nil }
                current = next
            case (.index(let index), .array(let elements)):
                let resolved = index < 0 ? elements.count + index : index
                guard resolved >= 0 && resolved < elements.count else { return nil }
                current = elements[resolved]
            default:
                return nil
            }
        }
        return current
    }

    /// Canonical text: simple keys with dots, others in `['…']`.
    public var description: String {
        var text = "$"
        for component in components {
            switch component {
            case .index(let index): text += "[\(index)]"
            case .key(let key) where JSONPath.isSimpleKey(key): text += "." + key
            case .key(let key):
                var escaped = ""
                for scalar in key.unicodeScalars {
                    if scalar == "'" || scalar == "\\" { escaped += "\\" }
                    escaped.unicodeScalars.append(scalar)
                }
                text += "['" + escaped + "']"
            }
        }
        return text
    }

    private static func isSimpleKey(_ key: String) -> Bool {
        !key.isEmpty && key != "*" && key.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-"
        }
    }
}

public struct JSONPathError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "invalid JSON path '\(path)': \(message)" }
}
