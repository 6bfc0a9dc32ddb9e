import ArgumentParser
import DynamicProtobuf
import Glibc
import ZerobusClient

/// Streams synthetic sensor rows through `ZerobusClient` and reports what was acknowledged.
/// Used by the README's quick start and by the client benchmark.
@main
struct ZerobusExample: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zerobus-example",
        abstract: "Stream synthetic rows to a Zerobus endpoint with the Swift Zerobus client.")

    @Option(help: "Zerobus endpoint, e.g. http://127.0.0.1:50051 or https://localhost:50052.")
    var endpoint: String

    @Option(help: "Target table, catalog.schema.table.")
    var table = "main.iot.readings"

    @Option(help: "Rows to send.")
    var rows = 10_000

    @Option(help: "Rows per ingest request.")
    var batch = 1_000

    @Option(help: "Extra CA certificate (PEM) to trust, e.g. the emulator's ca.pem.")
    var caFile: String?

    @Option(help: "Static bearer token (default: OAuth when --client-id is given, else 'test').")
    var token: String?

    @Option(help: "OAuth client id (client-credentials flow against --workspace-url).")
    var clientID: String?

    @Option(help: "Workspace URL hosting /oidc/v1/token.")
    var workspaceURL: String?

    @Flag(help: "Print only one machine-readable summary line.")
    var quiet = false

    func run() async throws {
        var transport = TransportOptions()
        transport.extraCAFile = caFile
        let client = try ZerobusClient(endpoint: endpoint, transport: transport)
        let headers: any HeadersProvider
        if let clientID, let workspaceURL {
            let secret = getenv("ZEROBUS_CLIENT_SECRET").map { String(cString: $0) } ?? ""
            headers = OAuthTokenProvider(
                workspaceURL: workspaceURL, zerobusEndpoint: endpoint, clientID: clientID, clientSecret: secret,
                transport: transport)
        } else {
            headers = BearerTokenProvider(token: token ?? "test")
        }

        let schema = TableSchema(tableName: table, columns: [
            Column(name: "device_id", type: .string),
            Column(name: "metric", type: .string),
            Column(name: "value", type: .double),
            Column(name: "event_time", type: .timestamp),
            Column(name: "seq", type: .bigint),
        ])
        let descriptor = try MessageDescriptor(schema: schema)
        let started = ContinuousClock.now
        let stream = try await client.createStream(
            table: table, format: .proto(descriptor: descriptor.serializedDescriptorProto()), headers: headers)

        let baseTime: Int64 = 1_780_000_000_000_000
        var sent = 0
        while sent < rows {
            let count = min(batch, rows - sent)
            var records: [[UInt8]] = []
            records.reserveCapacity(count)
            for seq in sent..<(sent + count) {
                records.append(try descriptor.encode([
                    .string("sensor-\(seq % 16)"), .string("temperature"), .double(20 + Double(seq % 100) / 10),
                    .int(baseTime + Int64(seq) * 1000), .int(Int64(seq)),
                ]))
            }
            try await stream.ingest(batch: records)
            sent += count
        }
        try await stream.flush()
        let elapsed = ContinuousClock.now - started
        let statistics = await stream.statistics
        try await stream.close()

        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(statistics.recordsAcked) / max(seconds, 1e-9)
        if quiet {
            print("rows_acked=\(statistics.recordsAcked) seconds=\(seconds) rows_per_s=\(Int(rate))")
        } else {
            print("streamed \(sent) rows to \(table) in \(statistics.requestsAcked) requests")
            print("acknowledged durable: \(statistics.recordsAcked) rows in \(String(format3(seconds))) s (\(Int(rate)) rows/s)")
            print("recoveries: \(statistics.recoveries), rotations: \(statistics.rotations)")
        }
    }
}

private func format3(_ value: Double) -> String {
    let scaled = (value * 1000).rounded() / 1000
    return "\(scaled)"
}
