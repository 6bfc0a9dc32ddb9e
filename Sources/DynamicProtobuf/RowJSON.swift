import EdgeSupport
extension MessageDescriptor {
    /// Renders a row as compact JSON keyed by field name, for showing rows to people
    /// (e.g. quarantined records). Absent fields are omitted; bytes are base64; maps become
    /// objects with their keys as strings; non-finite floats become the strings "NaN",
    /// "Infinity", "-Infinity"; 64-bit integers stay numbers. Values that do not fit the
    /// descriptor are still shown, under `#<index>` for positions beyond the fields.
    public func jsonString(of row: [ProtoValue?]) -> String {
        var output = ""
        appendObject(row, to: &output)
        return output
    }

    fileprivate func appendObject(_ row: [ProtoValue?], to output: inout String) {
        output += "{"
        var first = true
        for (position, value) in row.enumerated() {
            guard let value else { continue }
            if !first { output += "," }
            first = false
            let field = position < fields.count ? fields[position] : nil
            JSONString.append(field?.name ?? "#\(position)", to: &output)
            output += ":"
            appendValue(value, nested: field?.message, to: &output)
        }
        output += "}"
    }
}

private func appendValue(_ value: ProtoValue, nested: MessageDescriptor?, to output: inout String) {
    switch value {
    case .int(let integer): output += String(integer)
    case .bool(let flag): output += flag ? "true" : "false"
    case .double(let number): appendNumber(number.isFinite ? number.description : nil, nonFinite: number, to: &output)
    case .float(let number): appendNumber(number.isFinite ? number.description : nil, nonFinite: Double(number), to: &output)
    case .string(let text): JSONString.append(text, to: &output)
    case .bytes(let bytes): JSONString.append(Base64.encode(bytes), to: &output)
    case .list(let elements):
        output += "["
        for (index, element) in elements.enumerated() {
            if index > 0 { output += "," }
            appendValue(element, nested: nested, to: &output)
        }
        output += "]"
    case .map(let entries):
        // For map fields `nested` is the entry message; its field 2 says how to render values.
        let valueMessage = nested?.fields.count == 2 ? nested?.fields[1].message : nil
        output += "{"
        for (index, entry) in entries.enumerated() {
            if index > 0 { output += "," }
            JSONString.append(mapKeyText(entry.key), to: &output)
            output += ":"
            appendValue(entry.value, nested: valueMessage, to: &output)
        }
        output += "}"
    case .message(let values):
        if let nested {
            nested.appendObject(values, to: &output)
        } else {
            output += "["
            for (index, element) in values.enumerated() {
                if index > 0 { output += "," }
                if let element { appendValue(element, nested: nil, to: &output) } else { output += "null" }
            }
            output += "]"
        }
    }
}

private func appendNumber(_ finiteText: String?, nonFinite: Double, to output: inout String) {
    if let finiteText {
        output += finiteText
    } else {
        output += nonFinite.isNaN ? "\"NaN\"" : (nonFinite > 0 ? "\"Infinity\"" : "\"-Infinity\"")
    }
}

private func mapKeyText(_ key: ProtoValue) -> String {
    switch key {
    case .string(let text): text
    case .int(let integer): String(integer)
    case .bool(let flag): flag ? "true" : "false"
    case .bytes(let bytes): Base64.encode(bytes)
    case .double(let number): number.description
    case .float(let number): number.description
    case .list, .map, .message: key.kindName
    }
}
