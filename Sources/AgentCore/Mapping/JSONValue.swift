import EdgeSupport
/// A parsed JSON document (RFC 8259).
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The JSON type name, for error messages ("expected a number, got string").
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// A JSON number, kept both as a `Double` and, when the value is an exact integer that fits, as an
/// `Int64` — so `9007199254740993` stays exact for `bigint` columns while `21.5` stays a double.
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The nearest double (always set).
    public var double: Double
    /// The exact integer value: set when the literal has no fraction/exponent and fits `Int64`,
    /// or when the value is integral and exactly representable (|x| ≤ 2^53, e.g. `1.5e3`).
    public var integer: Int64?

    public init(integer: Int64) {
        self.double = Double(integer)
        self.integer = integer
    }

    public init(double: Double) {
        self.double = double
        self.integer = JSONNumber.exactInteger(double)
    }

    init(double: Double, integer: Int64?) {
        self.double = double
        self.integer = integer
    }

    static func exactInteger(_ value: Double) -> Int64? {
        guard value.rounded(.towardZero) == value, value.magnitude <= 9_007_199_254_740_992 else { return nil }
        return Int64(value)
    }

    /// The number as JSON text: integers without a fraction, others in Swift's shortest round-trip form.
    public var description: String {
        if let integer { return String(integer) }
        return double.description
    }
}

/// A JSON object with its members in document order. Lookups scan linearly (sensor payloads have few
/// keys). `JSONParser` refuses duplicate keys; for objects built otherwise the last one wins.
public struct JSONObject: Sendable, Hashable {
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONValue
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    public var members: [Member]

    public init(_ members: [Member] = []) {
        self.members = members
    }

    public subscript(key: String) -> JSONValue? {
        var index = members.count
        while index > 0 {
            index -= 1
            if members[index].key == key { return members[index].value }
        }
        return nil
    }
}

extension JSONValue {
    /// Compact JSON text (no whitespace), used when an object or array lands in a `string` column.
    public var compactText: String {
        var output = ""
        JSONValue.write(self, to: &output)
        return output
    }

    private static func write(_ value: JSONValue, to output: inout String) {
        switch value {
        case .null: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .number(let number): output += number.description
        case .string(let text): JSONString.append(text, to: &output)
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                write(element, to: &output)
            }
            output += "]"
        case .object(let object):
            output += "{"
            for (index, member) in object.members.enumerated() {
                if index > 0 { output += "," }
                JSONString.append(member.key, to: &output)
                output += ":"
                write(member.value, to: &output)
            }
            output += "}"
        }
    }

    /// `text` as a JSON string literal, quotes included.
    public static func quoted(_ text: String) -> String {
        JSONString.quoted(text)
    }
}
