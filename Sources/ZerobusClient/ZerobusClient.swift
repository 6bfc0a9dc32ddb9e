import GRPCTransport
import Logging

/// Entry point of the Swift Zerobus client: one per endpoint, cheap to copy.
///
/// ```swift
/// let client = try ZerobusClient(endpoint: "https://1234.zerobus.us-west-2.cloud.databricks.com")
/// let auth = OAuthTokenProvider(workspaceURL: workspace, zerobusEndpoint: client.endpointURL,
///                               clientID: id, clientSecret: secret)
/// let stream = try await client.createStream(table: "main.iot.readings",
///                                            format: .proto(descriptor: descriptorBytes),
///                                            headers: auth)
/// let offset = try await stream.ingest(rowBytes)
/// try await stream.waitForOffset(offset)
/// try await stream.close()
/// ```
public struct ZerobusClient: Sendable {
    public let endpointURL: String
    public var transport: TransportOptions
    public var logger: Logger
    let endpoint: Endpoint

    public init(
        endpoint: String, transport: TransportOptions = TransportOptions(),
        logger: Logger = Logger(label: "zerobus")
    ) throws(ZerobusError) {
        do {
            self.endpoint = try Endpoint(parsing: endpoint)
        } catch {
            throw ZerobusError(.invalidArgument, "invalid Zerobus endpoint '\(endpoint)': \(error)")
        }
        self.endpointURL = endpoint
        self.transport = transport
        self.logger = logger
    }

    /// Opens a stream; returns once the server confirmed it (`create_stream_response`).
    public func createStream(
        table: String, format: RecordFormat, headers: any HeadersProvider,
        configuration: StreamConfiguration = StreamConfiguration()
    ) async throws -> ZerobusStream {
        try Self.validateTableName(table)
        let stream = ZerobusStream(
            tableName: table, format: format, endpoint: endpoint, transport: transport,
            headersProvider: headers, configuration: configuration, logger: logger)
        try await stream.start()
        return stream
    }

    /// Opens a new stream like `failed` and re-ingests its unacknowledged batches, in order.
    public func recreateStream(
        from failed: ZerobusStream, headers: any HeadersProvider,
        configuration: StreamConfiguration = StreamConfiguration()
    ) async throws -> ZerobusStream {
        let stream = try await createStream(
            table: failed.tableName, format: failed.format, headers: headers, configuration: configuration)
        for batch in await failed.unackedBatches() {
            _ = try await stream.ingest(batch: batch)
        }
        return stream
    }

    /// Zerobus tables are `catalog.schema.table`, three non-empty parts.
    public static func validateTableName(_ table: String) throws(ZerobusError) {
        let parts = table.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
            throw ZerobusError(.invalidArgument, "table name '\(table)' must be catalog.schema.table")
        }
    }
}
