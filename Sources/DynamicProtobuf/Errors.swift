/// A Unity Catalog type text that cannot be parsed or has no protobuf mapping.
///
/// The description names what was wrong and where, e.g.
/// `unsupported type 'decimal(10,2)' at column 7 of "array<decimal(10,2)>": decimal has no Zerobus protobuf mapping`.
public struct ColumnTypeParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The whole text that was parsed.
    public let text: String
    /// 1-based character column where the problem starts.
    public let column: Int
    /// What was wrong, without the location.
    public let reason: String

    public init(text: String, column: Int, reason: String) {
        self.text = text
        self.column = column
        self.reason = reason
    }

    public var description: String {
        "\(reason) at column \(column) of \"\(text)\""
    }
}

/// A table schema or descriptor that cannot be turned into a `MessageDescriptor`
/// (bad names, unsupported nesting, unresolvable type names, groups, …).
public struct DescriptorError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// A row that does not fit its message descriptor.
///
/// `fieldPath` locates the offending value from the top-level field: `readings.tags[2].value`
/// (list elements and map entries are indexed by position; map entries then name `key`/`value`).
public struct EncodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        /// The value's kind does not fit the field, e.g. `.string` for an int32 field.
        case typeMismatch(expected: String, got: String)
        /// An integer or float outside the range of the field's type (or column type, e.g. tinyint).
        case outOfRange(value: String, type: String)
        /// An integer that is not one of the enum's declared numbers.
        case unknownEnumValue(Int64, enumName: String)
        /// A proto2 `required` field with no value.
        case missingRequired
        /// A row or nested message whose value count differs from the descriptor's field count.
        case wrongValueCount(expected: Int, got: Int)
    }

    /// Dotted path from the top-level field to the offending value; the message name when the
    /// whole row is wrong (wrong value count).
    public private(set) var fieldPath: String
    public let reason: Reason

    public init(fieldPath: String, reason: Reason) {
        self.fieldPath = fieldPath
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .typeMismatch(let expected, let got):
            return "\(fieldPath): expected \(expected), got \(got)"
        case .outOfRange(let value, let type):
            return "\(fieldPath): \(value) is out of range for \(type)"
        case .unknownEnumValue(let value, let enumName):
            return "\(fieldPath): \(value) is not a value of enum \(enumName)"
        case .missingRequired:
            return "\(fieldPath): required field is missing"
        case .wrongValueCount(let expected, let got):
            return "\(fieldPath): expected \(expected) values (one per field), got \(got)"
        }
    }

    /// The same error seen from one level up: `value` inside `tags[2]` becomes `tags[2].value`.
    func nested(under parent: String) -> EncodingError {
        var copy = self
        copy.fieldPath = fieldPath.isEmpty ? parent : parent + "." + fieldPath
        return copy
    }
}

/// Bytes that are not a valid encoding of the message.
public struct ProtoDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset into the outermost buffer where the problem was found.
    public let offset: Int
    public let reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        "invalid protobuf at byte \(offset): \(reason)"
    }
}
