/// How a message becomes several rows, and the options of the line-oriented formats
/// (`explode`, `csv_*`, `influx_precision` in a `[[table]]`).
public struct PayloadOptions: Sendable, Hashable {
    /// `explode = "$.readings"`: one row per element of the array (or member of the object) at
    /// this path of a JSON payload; `@…` sources read inside the element, `$…` the whole message.
    public var explode: JSONPath?
    public var csv: CSVOptions
    public var influxPrecision: InfluxPrecision
    /// `sparkplug_death`, `sparkplug_commands` (format = "sparkplug_b").
    public var sparkplug = SparkplugOptions()

    public init(explode: JSONPath? = nil, csv: CSVOptions = CSVOptions(), influxPrecision: InfluxPrecision = .nanoseconds) {
        self.explode = explode
        self.csv = csv
        self.influxPrecision = influxPrecision
    }
}

/// `csv_delimiter`, `csv_header`, `csv_columns`.
public struct CSVOptions: Sendable, Hashable {
    /// One ASCII byte; default `,`.
    public var delimiter: UInt8
    /// The first line of each message names the columns. Default: true unless `columns` is set.
    public var header: Bool
    /// Column names for messages without a header (or to override it), in cell order.
    public var columns: [String]

    public init(delimiter: UInt8 = UInt8(ascii: ","), header: Bool = true, columns: [String] = []) {
        self.delimiter = delimiter
        self.header = header
        self.columns = columns
    }
}

/// The unit of a line protocol timestamp (`influx_precision`); InfluxDB's default is ns.
public enum InfluxPrecision: String, Sendable, Hashable, CaseIterable {
    case nanoseconds = "ns"
    case microseconds = "us"
    case milliseconds = "ms"
    case seconds = "s"

    /// Converts a timestamp in this unit to microseconds; nil when it does not fit.
    func microseconds(_ value: Int64) -> Int64? {
        switch self {
        case .nanoseconds: return value / 1000
        case .microseconds: return value
        case .milliseconds: return value.multipliedReportingOverflow(by: 1000).overflow ? nil : value * 1000
        case .seconds: return value.multipliedReportingOverflow(by: 1_000_000).overflow ? nil : value * 1_000_000
        }
    }
}
