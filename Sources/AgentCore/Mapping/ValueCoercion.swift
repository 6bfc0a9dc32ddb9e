import DynamicProtobuf

/// Converts JSON values to the protobuf value a Unity Catalog column type needs.
///
/// The rules are lenient where sensors commonly disagree on representation and strict where a
/// silent conversion would lose information:
/// - `string`: strings as is; numbers and booleans as their JSON text (`21.5`, `true`); objects and
///   arrays as compact JSON text.
/// - `tinyint`/`smallint`/`int`/`bigint`: integers, integral doubles (`21.0`, `1e3`) and strings
///   holding an integer (`"42"`); fractions, other strings and booleans are errors; range-checked.
/// - `float`/`double`: numbers, and strings holding a number or `NaN`/`Infinity`/`-Infinity`
///   (also `inf`/`+inf`/`-inf`, any case): JSON has no literal for them, and PLCs and gateway
///   firmware print them as strings. Only these two types take them. A non-zero number that
///   would become 0 (1e-400; 1e-50 for float) is an error, not a silent 0.
/// - `boolean`: `true`/`false`, the strings `"true"`/`"false"` (any case), and the numbers 0 and 1
///   (PLCs often send bits as numbers).
/// - `binary`: strings as their UTF-8 bytes.
/// - `date`: `"YYYY-MM-DD"` or an integer number of days since 1970-01-01.
/// - `timestamp`: RFC 3339 / ISO 8601 text, or an epoch number (or numeric string) in s/ms/µs chosen by
///   magnitude (`Timestamps.secondsBelow`, `Timestamps.millisecondsBelow`).
/// - `array<T>`: JSON arrays, each element converted (null elements are errors).
/// - `struct<…>`: JSON objects; fields matched by name, absent/null fields are null when the field
///   is nullable, errors otherwise; extra keys ignored.
/// - `map<K,V>`: JSON objects; keys converted from their text to K, values to V.
enum ValueCoercion {
    static func coerce(_ value: JSONValue, to type: ColumnType) throws(CoercionFailure) -> ProtoValue {
        switch type {
        case .string: return .string(text(of: value))
        case .tinyint: return .int(try integer(value, in: Int64(Int8.min)...Int64(Int8.max), type: "tinyint"))
        case .smallint: return .int(try integer(value, in: Int64(Int16.min)...Int64(Int16.max), type: "smallint"))
        case .int: return .int(try integer(value, in: Int64(Int32.min)...Int64(Int32.max), type: "int"))
        case .bigint: return .int(try integer(value, in: Int64.min...Int64.max, type: "bigint"))
        case .double: return .double(try floatingPoint(value, type: "double"))
        case .float:
            let double = try floatingPoint(value, type: "float")
            if double.isFinite && double.magnitude > Double(Float.greatestFiniteMagnitude) {
                throw .outOfRange(value, "float")
            }
            // Like JSON's 1e-400 for double: a non-zero reading must not silently become 0.
            if double != 0 && Float(double) == 0 { throw .outOfRange(value, "float") }
            return .float(Float(double))
        case .boolean: return .bool(try boolean(value))
        case .binary:
            guard case .string(let text) = value else { throw .wrongType("a string for binary", value) }
            return .bytes(Array(text.utf8))
        case .date: return .int(try date(value))
        case .timestamp: return .int(try timestamp(value))
        case .array(let elementType): return try array(value, of: elementType)
        case .struct(let fields): return try structure(value, fields: fields)
        case .map(let keyType, let valueType): return try map(value, key: keyType, value: valueType)
        }
    }

    static func text(of value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .number(let number): number.description
        case .bool(let flag): flag ? "true" : "false"
        case .null: "null"
        case .array, .object: value.compactText
        }
    }

    private static func integer(
        _ value: JSONValue,
        in range: ClosedRange<Int64>,
        type: String
    ) throws(CoercionFailure) -> Int64 {
        let number: JSONNumber
        switch value {
        case .number(let parsed): number = parsed
        case .string(let text):
            guard let parsed = parseNumber(text) else { throw .wrongType("an integer for \(type)", value) }
            number = parsed
        default: throw .wrongType("an integer for \(type)", value)
        }
        guard let integer = number.integer else {
            if number.double.rounded(.towardZero) != number.double {
                throw CoercionFailure(kind: .wrongType, message: "\(CoercionFailure.preview(value)) is not an integer (\(type))")
            }
            throw .outOfRange(value, type)  // integral but beyond exact range
        }
        guard range.contains(integer) else { throw .outOfRange(value, type) }
        return integer
    }

    private static func floatingPoint(_ value: JSONValue, type: String) throws(CoercionFailure) -> Double {
        switch value {
        case .number(let number): return number.double
        case .string(let text):
            if let number = parseNumber(text) { return number.double }
            switch text.lowercased() {
            case "nan": return .nan
            case "infinity", "inf", "+infinity", "+inf": return .infinity
            case "-infinity", "-inf": return -.infinity
            default: throw .wrongType("a number for \(type)", value)
            }
        default: throw .wrongType("a number for \(type)", value)
        }
    }

    private static func boolean(_ value: JSONValue) throws(CoercionFailure) -> Bool {
        switch value {
        case .bool(let flag): return flag
        case .string(let text):
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: break
            }
        case .number(let number):
            if number.integer == 0 { return false }
            if number.integer == 1 { return true }
        default: break
        }
        throw .wrongType("true/false for boolean", value)
    }

    private static func date(_ value: JSONValue) throws(CoercionFailure) -> Int64 {
        let days: Int64
        switch value {
        case .string(let text):
            guard let parsed = Timestamps.days(parsingISODate: text) else {
                throw .wrongType("a date YYYY-MM-DD", value)
            }
            days = parsed
        case .number(let number):
            guard let integer = number.integer else { throw .wrongType("a whole number of days for date", value) }
            days = integer
        default: throw .wrongType("a date YYYY-MM-DD", value)
        }
        guard days >= Int64(Int32.min) && days <= Int64(Int32.max) else { throw .outOfRange(value, "date") }
        return days
    }

    private static func timestamp(_ value: JSONValue) throws(CoercionFailure) -> Int64 {
        switch value {
        case .number(let number):
            guard let micros = Timestamps.microseconds(fromEpoch: number) else { throw .outOfRange(value, "timestamp") }
            return micros
        case .string(let text):
            if let number = parseNumber(text) {
                guard let micros = Timestamps.microseconds(fromEpoch: number) else { throw .outOfRange(value, "timestamp") }
                return micros
            }
            guard let micros = Timestamps.microseconds(parsingISO8601: text) else {
                throw .wrongType("an ISO 8601 timestamp or epoch number", value)
            }
            return micros
        default: throw .wrongType("an ISO 8601 timestamp or epoch number", value)
        }
    }

    private static func array(_ value: JSONValue, of elementType: ColumnType) throws(CoercionFailure) -> ProtoValue {
        guard case .array(let elements) = value else { throw .wrongType("an array", value) }
        var converted: [ProtoValue] = []
        converted.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            do throws(CoercionFailure) {
                if case .null = element {
                    throw CoercionFailure(kind: .wrongType, message: "arrays cannot hold null elements")
                }
                converted.append(try coerce(element, to: elementType))
            } catch {
                throw error.prefixed("[\(index)]")
            }
        }
        return .list(converted)
    }

    private static func structure(_ value: JSONValue, fields: [Column]) throws(CoercionFailure) -> ProtoValue {
        guard case .object(let object) = value else { throw .wrongType("an object", value) }
        var converted: [ProtoValue?] = []
        converted.reserveCapacity(fields.count)
        for field in fields {
            let member = object[field.name]
            if member == nil || member == .null {
                guard field.nullable else {
                    throw CoercionFailure(kind: .missingValue, message: "missing", path: "." + field.name)
                }
                converted.append(nil)
                continue
            }
            do {
                converted.append(try coerce(member!, to: field.type))
            } catch {
                throw error.prefixed("." + field.name)
            }
        }
        return .message(converted)
    }

    private static func map(
        _ value: JSONValue,
        key keyType: ColumnType,
        value valueType: ColumnType
    ) throws(CoercionFailure) -> ProtoValue {
        guard case .object(let object) = value else { throw .wrongType("an object for a map", value) }
        var entries: [ProtoValue.MapEntry] = []
        entries.reserveCapacity(object.members.count)
        for member in object.members {
            do throws(CoercionFailure) {
                let key = try coerce(.string(member.key), to: keyType)
                if case .null = member.value {
                    throw CoercionFailure(kind: .wrongType, message: "maps cannot hold null values")
                }
                entries.append(ProtoValue.MapEntry(key: key, value: try coerce(member.value, to: valueType)))
            } catch {
                throw error.prefixed("[\"\(member.key)\"]")
            }
        }
        return .map(entries)
    }

    /// A JSON-grammar number in `text` (surrounding ASCII whitespace allowed), or nil.
    static func parseNumber(_ text: String) -> JSONNumber? {
        var text = text
        return text.withUTF8 { utf8 -> JSONNumber? in
            var start = 0
            var end = utf8.count
            while start < end && isSpace(utf8[start]) { start += 1 }
            while end > start && isSpace(utf8[end - 1]) { end -= 1 }
            return JSONParser.parseNumber(UnsafeBufferPointer(rebasing: utf8[start..<end]))
        }
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
