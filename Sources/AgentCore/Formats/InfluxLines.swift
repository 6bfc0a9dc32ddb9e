import EdgeSupport
/// InfluxDB line protocol payloads → one JSON object per line (`format = "influx"`):
/// `{"measurement": …, "tags": {…}, "fields": {…}, "timestamp": µs}`.
///
/// `weather,station=b7 temp=21.5,rh=40i,ok=t,note="a \"b\"" 1700000000000000000`: escapes as
/// InfluxDB's reference (`\,` `\=` `\ ` in names and tags, `\"` `\\` in strings), field types
/// float, `i` integer, `u` unsigned, string and boolean; `#` comment and blank lines skipped.
/// The timestamp (optional) is converted from `influx_precision` to µs; without one, the key is
/// absent and a column can fall back to `default = "received_at"`.
enum InfluxLines {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, precision: InfluxPrecision) throws(MappingError) -> [JSONValue] {
        guard UTF8Validation.isValid(bytes) else {
            throw MappingError(kind: .invalidPayload, reason: "line protocol payload is not valid UTF-8 text")
        }
        var records: [JSONValue] = []
        var lineNumber = 0
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            lineNumber += 1
            var line = Array(bytes[start..<end])
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            start = end + 1
            let first = line.firstIndex { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
            guard let first, line[first] != UInt8(ascii: "#") else { continue }
            do throws(LineError) {
                var parser = LineParser(bytes: Array(line[first...]), precision: precision)
                records.append(try parser.record())
            } catch {
                throw MappingError(kind: .invalidPayload, reason: "line protocol line \(lineNumber): \(error.message)")
            }
        }
        return records
    }

    struct LineError: Error {
        var message: String
    }

    private struct LineParser {
        let bytes: [UInt8]
        let precision: InfluxPrecision
        var position = 0

        init(bytes: [UInt8], precision: InfluxPrecision) {
            self.bytes = bytes
            self.precision = precision
        }

        private static let space = UInt8(ascii: " ")
        private static let comma = UInt8(ascii: ",")
        private static let equals = UInt8(ascii: "=")
        private static let backslash = UInt8(ascii: "\\")
        private static let quote = UInt8(ascii: "\"")

        mutating func record() throws(LineError) -> JSONValue {
            let measurement = token(until: [Self.comma, Self.space])
            guard !measurement.isEmpty else { throw LineError(message: "missing measurement") }
            var tags: [JSONObject.Member] = []
            while peek == Self.comma {
                position += 1
                let (key, value) = try pair(what: "tag")
                tags.append(JSONObject.Member(key: key, value: .string(value)))
            }
            guard peek == Self.space else { throw LineError(message: "expected a space before the fields") }
            skipSpaces()
            var fields: [JSONObject.Member] = []
            repeat {
                if !fields.isEmpty { position += 1 }
                let key = token(until: [Self.equals, Self.space, Self.comma])
                guard !key.isEmpty, peek == Self.equals else { throw LineError(message: "expected field=value") }
                position += 1
                fields.append(JSONObject.Member(key: key, value: try fieldValue(of: key)))
            } while peek == Self.comma
            guard !fields.isEmpty else { throw LineError(message: "a line needs at least one field") }
            var members = [
                JSONObject.Member(key: "measurement", value: .string(measurement)),
                JSONObject.Member(key: "tags", value: .object(JSONObject(tags))),
                JSONObject.Member(key: "fields", value: .object(JSONObject(fields))),
            ]
            skipSpaces()
            if position < bytes.count {
                let text = String(decoding: bytes[position...], as: UTF8.self)
                guard let raw = Int64(text) else { throw LineError(message: "timestamp '\(text)' is not an integer") }
                guard let micros = precision.microseconds(raw) else { throw LineError(message: "timestamp \(raw) out of range") }
                members.append(JSONObject.Member(key: "timestamp", value: .number(JSONNumber(integer: micros))))
            }
            return .object(JSONObject(members))
        }

        private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

        private mutating func skipSpaces() {
            while peek == Self.space { position += 1 }
        }

        /// Reads up to an unescaped stop byte; a backslash escapes the next byte.
        private mutating func token(until stops: [UInt8]) -> String {
            var text: [UInt8] = []
            while let byte = peek, !stops.contains(byte) {
                if byte == Self.backslash, position + 1 < bytes.count, stops.contains(bytes[position + 1]) || bytes[position + 1] == Self.equals {
                    text.append(bytes[position + 1])
                    position += 2
                } else {
                    text.append(byte)
                    position += 1
                }
            }
            return String(decoding: text, as: UTF8.self)
        }

        private mutating func pair(what: String) throws(LineError) -> (String, String) {
            let key = token(until: [Self.equals, Self.comma, Self.space])
            guard !key.isEmpty, peek == Self.equals else { throw LineError(message: "expected \(what) key=value") }
            position += 1
            let value = token(until: [Self.comma, Self.space])
            guard !value.isEmpty else { throw LineError(message: "\(what) '\(key)' has no value") }
            return (key, value)
        }

        private mutating func fieldValue(of key: String) throws(LineError) -> JSONValue {
            if peek == Self.quote {
                position += 1
                var text: [UInt8] = []
                while let byte = peek, byte != Self.quote {
                    if byte == Self.backslash, position + 1 < bytes.count,
                       bytes[position + 1] == Self.quote || bytes[position + 1] == Self.backslash {
                        position += 1
                    }
                    text.append(bytes[position])
                    position += 1
                }
                guard peek == Self.quote else { throw LineError(message: "field '\(key)': string not closed") }
                position += 1
                return .string(String(decoding: text, as: UTF8.self))
            }
            let raw = token(until: [Self.comma, Self.space])
            switch raw {
            case "t", "T", "true", "True", "TRUE": return .bool(true)
            case "f", "F", "false", "False", "FALSE": return .bool(false)
            default: break
            }
            if raw.hasSuffix("i"), let integer = Int64(raw.dropLast()) { return .number(JSONNumber(integer: integer)) }
            if raw.hasSuffix("u"), let unsigned = UInt64(raw.dropLast()) {
                if let exact = Int64(exactly: unsigned) { return .number(JSONNumber(integer: exact)) }
                return .number(JSONNumber(double: Double(unsigned)))
            }
            if let double = Double(raw), double.isFinite { return .number(JSONNumber(double: double)) }
            throw LineError(message: "field '\(key)': '\(raw)' is not a float, integer (…i), unsigned (…u), string or boolean")
        }
    }
}
