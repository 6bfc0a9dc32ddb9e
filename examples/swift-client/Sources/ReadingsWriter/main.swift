// Writes a few sensor readings to a Zerobus table and waits until they are durable.
//
//   ZEROBUS_ENDPOINT=https://<workspace-id>.zerobus.<region>.cloud.databricks.com \
//   DATABRICKS_WORKSPACE_URL=https://<workspace>.cloud.databricks.com \
//   DATABRICKS_CLIENT_ID=... DATABRICKS_CLIENT_SECRET=... \
//   swift run ReadingsWriter main.iot.readings
//
// With ZEROBUS_TOKEN set instead of the client id/secret, that bearer token is sent as is.
import DynamicProtobuf
import Glibc
import ZerobusClient

func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
}

let table = CommandLine.arguments.dropFirst().first ?? "main.iot.readings"
guard let endpoint = environment("ZEROBUS_ENDPOINT") else {
    print("set ZEROBUS_ENDPOINT (and DATABRICKS_* or ZEROBUS_TOKEN)")
    exit(2)
}

// The table's columns, as in Unity Catalog; the descriptor travels with the stream.
// (`zerobus-edge schema pull` prints them for an existing table.)
let schema = TableSchema(tableName: table, columns: [
    Column(name: "device_id", type: .string, nullable: false),
    Column(name: "value", type: .double),
    Column(name: "event_time", type: .timestamp),
])
let descriptor = try MessageDescriptor(schema: schema)

var transport = TransportOptions()
transport.extraCAFile = environment("ZEROBUS_CA_FILE")  // e.g. a local emulator's CA
let client = try ZerobusClient(endpoint: endpoint, transport: transport)
let credentials: any HeadersProvider
if let token = environment("ZEROBUS_TOKEN") {
    credentials = BearerTokenProvider(token: token)
} else if let workspace = environment("DATABRICKS_WORKSPACE_URL"), let id = environment("DATABRICKS_CLIENT_ID"),
    let secret = environment("DATABRICKS_CLIENT_SECRET")
{
    // Mints table-scoped OAuth tokens and refreshes them before they expire.
    credentials = OAuthTokenProvider(
        workspaceURL: workspace, zerobusEndpoint: endpoint, clientID: id, clientSecret: secret, transport: transport)
} else {
    print("set ZEROBUS_TOKEN, or DATABRICKS_WORKSPACE_URL + DATABRICKS_CLIENT_ID + DATABRICKS_CLIENT_SECRET")
    exit(2)
}

let stream = try await client.createStream(
    table: table, format: .proto(descriptor: descriptor.serializedDescriptorProto()), headers: credentials)
let now = Int64(time(nil)) * 1_000_000  // timestamps are microseconds since the epoch
var rows: [[UInt8]] = []
for index in 0..<10 {
    // Values line up with the columns; nil would leave a nullable column empty.
    rows.append(try descriptor.encode([.string("sensor-\(index % 3)"), .double(20 + Double(index) / 4), .int(now)]))
}
// One request; the returned offset is acknowledged once the rows are durable in the table.
if let offset = try await stream.ingest(batch: rows) {
    try await stream.waitForOffset(offset)
}
try await stream.close()
print("wrote \(rows.count) rows to \(table)")
