import EdgeSupport
/// CSV payloads → one JSON object per line (`format = "csv"`), keyed by the header's names.
///
/// RFC 4180 quoting (`"a ""quoted"" cell"`, delimiters and line breaks inside quotes), LF or
/// CRLF line ends, blank lines skipped. Cells stay text — the column types convert them (so
/// `"007"` keeps its zeros in a string column) — and an empty unquoted cell is null. A line
/// with more or fewer cells than the header is an error naming the line: the message is
/// quarantined whole rather than half-stored.
enum CSVRecords {
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, options: CSVOptions) throws(MappingError) -> [JSONValue] {
        guard UTF8Validation.isValid(bytes) else {
            throw MappingError(kind: .invalidPayload, reason: "CSV payload is not valid UTF-8 text")
        }
        var lines = try splitLines(bytes, delimiter: options.delimiter)
        var names = options.columns
        if options.header {
            guard !lines.isEmpty else { throw MappingError(kind: .invalidPayload, reason: "CSV payload has no header line") }
            let header = lines.removeFirst()
            if names.isEmpty { names = header.cells.map { $0 ?? "" } }
        }
        guard !names.isEmpty else { throw MappingError(kind: .invalidPayload, reason: "CSV payload has no columns") }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw MappingError(kind: .invalidPayload, reason: "CSV header names column '\(name)' twice")
        }
        var records: [JSONValue] = []
        records.reserveCapacity(lines.count)
        for line in lines {
            guard line.cells.count == names.count else {
                throw MappingError(
                    kind: .invalidPayload,
                    reason: "CSV line \(line.number): \(line.cells.count) cells, expected \(names.count) (\(names.joined(separator: ",")))")
            }
            var members: [JSONObject.Member] = []
            members.reserveCapacity(names.count)
            for (name, cell) in zip(names, line.cells) {
                members.append(JSONObject.Member(key: name, value: cell.map(JSONValue.string) ?? .null))
            }
            records.append(.object(JSONObject(members)))
        }
        return records
    }

    struct Line {
        /// 1-based, counting physical lines of the message (for error messages).
        var number: Int
        /// nil = an empty, unquoted cell.
        var cells: [String?]
    }

    /// The state machine of RFC 4180, over bytes (the delimiter, quote and line breaks are ASCII,
    /// so multi-byte UTF-8 sequences pass through whole).
    static func splitLines(_ bytes: UnsafeBufferPointer<UInt8>, delimiter: UInt8) throws(MappingError) -> [Line] {
        let quote = UInt8(ascii: "\"")
        let newline = UInt8(ascii: "\n")
        let carriageReturn = UInt8(ascii: "\r")
        var lines: [Line] = []
        var cells: [String?] = []
        var cell: [UInt8] = []
        var quoted = false
        var inQuotes = false
        var physicalLine = 1
        var lineStart = 1
        var index = 0

        func endCell() {
            cells.append(cell.isEmpty && !quoted ? nil : String(decoding: cell, as: UTF8.self))
            cell.removeAll(keepingCapacity: true)
            quoted = false
        }
        func endLine() {
            endCell()
            // A blank line is one empty unquoted cell: skipped, not a row of nulls.
            if !(cells.count == 1 && cells[0] == nil) { lines.append(Line(number: lineStart, cells: cells)) }
            cells.removeAll(keepingCapacity: true)
        }

        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if inQuotes {
                if byte == quote {
                    if index < bytes.count && bytes[index] == quote {
                        cell.append(quote)
                        index += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if byte == newline { physicalLine += 1 }
                    cell.append(byte)
                }
                continue
            }
            switch byte {
            case quote:
                guard cell.isEmpty, !quoted else {
                    throw MappingError(kind: .invalidPayload, reason: "CSV line \(physicalLine): a quote inside an unquoted cell")
                }
                inQuotes = true
                quoted = true
            case delimiter:
                endCell()
            case carriageReturn where index < bytes.count && bytes[index] == newline:
                continue
            case newline:
                endLine()
                physicalLine += 1
                lineStart = physicalLine
            default:
                if quoted {
                    throw MappingError(kind: .invalidPayload, reason: "CSV line \(physicalLine): text after a closing quote")
                }
                cell.append(byte)
            }
        }
        if inQuotes { throw MappingError(kind: .invalidPayload, reason: "CSV line \(lineStart): a quoted cell is not closed") }
        if !cells.isEmpty || !cell.isEmpty || quoted { endLine() }
        return lines
    }
}
