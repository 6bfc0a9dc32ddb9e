import EdgeSupport
/// A minimal, compact JSON writer: keys are written in the order the caller emits them, so the
/// health document keeps the field order of SPEC §5.
///
/// Commas are placed automatically: `needsComma` remembers, per open container, whether a value
/// was already written.
struct HealthJSONWriter {
    private(set) var output = ""
    private var needsComma: [Bool] = [false]
    /// Set by `key(_:)`: the next value belongs to that key and takes no comma.
    private var pendingMemberValue = false

    mutating func beginObject() {
        valuePrefix()
        output += "{"
        needsComma.append(false)
    }

    mutating func endObject() {
        needsComma.removeLast()
        output += "}"
    }

    mutating func beginArray() {
        valuePrefix()
        output += "["
        needsComma.append(false)
    }

    mutating func endArray() {
        needsComma.removeLast()
        output += "]"
    }

    /// Writes `"name":`; the next value call completes the member.
    mutating func key(_ name: String) {
        valuePrefix()
        Self.appendQuoted(name, to: &output)
        output += ":"
        // The member's value follows the colon without a comma.
        pendingMemberValue = true
    }

    mutating func string(_ value: String) {
        valuePrefix()
        Self.appendQuoted(value, to: &output)
    }

    mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    mutating func int(_ value: Int) {
        valuePrefix()
        output += String(value)
    }

    /// Non-finite values have no JSON spelling; they are written as 0 so the document stays valid.
    mutating func double(_ value: Double) {
        valuePrefix()
        output += value.isFinite ? value.description : "0"
    }

    mutating func bool(_ value: Bool) {
        valuePrefix()
        output += value ? "true" : "false"
    }

    mutating func null() {
        valuePrefix()
        output += "null"
    }

    private mutating func valuePrefix() {
        if pendingMemberValue {
            pendingMemberValue = false
            return
        }
        if needsComma[needsComma.count - 1] { output += "," }
        needsComma[needsComma.count - 1] = true
    }

    static func appendQuoted(_ text: String, to output: inout String) {
        JSONString.append(text, to: &output)
    }
}
