/// Why a message could not become a row. `reason` is short and operator-readable; it is stored as
/// the quarantine reason, so it never contains more than a short preview of payload values.
public struct MappingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case emptyPayload
        case payloadTooLarge
        /// The payload is not valid JSON (`json`) or not valid UTF-8 text (`value`).
        case invalidPayload
        /// A required column has no value and no default.
        case missingValue
        /// The value has a type that cannot be converted to the column type.
        case wrongType
        /// A number or date outside what the column type can hold.
        case outOfRange
    }

    public var kind: Kind
    public var reason: String

    public init(kind: Kind, reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public var description: String { reason }
}

/// A conversion failure inside a value, before the column name is known. `path` is filled while the
/// error unwinds out of nested structs/arrays/maps (".x", "[2]"), so success costs nothing.
struct CoercionFailure: Error {
    var kind: MappingError.Kind
    var message: String
    var path: String = ""

    static func wrongType(_ expected: String, _ value: JSONValue) -> CoercionFailure {
        CoercionFailure(kind: .wrongType, message: "expected \(expected), got \(preview(value))")
    }

    static func outOfRange(_ value: JSONValue, _ type: String) -> CoercionFailure {
        CoercionFailure(kind: .outOfRange, message: "\(preview(value)) out of range for \(type)")
    }

    func prefixed(_ component: String) -> CoercionFailure {
        var copy = self
        copy.path = component + copy.path
        return copy
    }

    /// A short description of a value for error messages: `string "abc…"`, `number 21.5`, `object`.
    static func preview(_ value: JSONValue) -> String {
        switch value {
        case .string(let text):
            let limit = 40
            if text.count <= limit { return "string \"\(text)\"" }
            return "string \"\(text.prefix(limit))…\""
        case .number(let number): return "number \(number)"
        case .bool(let flag): return "boolean \(flag)"
        case .null: return "null"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
