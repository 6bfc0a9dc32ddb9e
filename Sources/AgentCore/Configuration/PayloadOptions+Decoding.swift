extension TableConfiguration {
    /// `explode` (json only), `csv_delimiter` / `csv_header` / `csv_columns` (csv only) and
    /// `influx_precision` (influx only), `sparkplug_death` / `sparkplug_commands` (sparkplug_b only). A key given for another format is an error, not ignored:
    /// it means the operator expects a behaviour the table will not have.
    static func decodePayloadOptions(_ reader: TableReader, format: PayloadFormat) -> PayloadOptions? {
        var options = PayloadOptions()
        var valid = true
        func only(_ key: String, _ allowed: PayloadFormat) -> Bool {
            guard reader.node(key) != nil else { return false }
            guard format == allowed else {
                reader.report(key, "only applies to format = \"\(allowed.rawValue)\" (this table is \"\(format.rawValue)\")")
                valid = false
                return false
            }
            return true
        }
        if only("explode", .json), case .value(let text) = reader.string("explode") {
            do {
                options.explode = try JSONPath(parsing: text)
            } catch {
                reader.report("explode", error.description)
                valid = false
            }
        }
        if only("csv_delimiter", .csv), case .value(let text) = reader.string("csv_delimiter") {
            let bytes = Array(text.utf8)
            if bytes.count == 1, bytes[0] < 0x80, !"\"\r\n".utf8.contains(bytes[0]) {
                options.csv.delimiter = bytes[0]
            } else {
                reader.report("csv_delimiter", "must be one ASCII character other than a quote or line break, got \"\(text)\"")
                valid = false
            }
        }
        if only("csv_columns", .csv), let names = stringArray(reader, "csv_columns") {
            options.csv.columns = names
            if names.isEmpty || Set(names).count != names.count {
                reader.report("csv_columns", "needs distinct column names")
                valid = false
            }
        }
        options.csv.header = options.csv.columns.isEmpty
        if only("csv_header", .csv) { options.csv.header = reader.bool("csv_header", default: options.csv.header) }
        if only("influx_precision", .influx) {
            options.influxPrecision = reader.choice("influx_precision", default: InfluxPrecision.nanoseconds)
        }
        if only("sparkplug_death", .sparkplugB) {
            options.sparkplug.death = reader.choice("sparkplug_death", default: SparkplugOptions.Death.row)
        }
        if only("sparkplug_commands", .sparkplugB) {
            options.sparkplug.commands = reader.choice("sparkplug_commands", default: SparkplugOptions.Commands.ignore)
        }
        return valid ? options : nil
    }

    private static func stringArray(_ reader: TableReader, _ key: String) -> [String]? {
        guard case .value(let nodes) = reader.array(key) else { return nil }
        var names: [String] = []
        for (index, node) in nodes.enumerated() {
            guard case .string(let name) = node.value else {
                reader.diagnostics.report(reader.keyPath(key) + "[\(index)]", at: node.position, "expected a string")
                return nil
            }
            names.append(name)
        }
        return names
    }
}
