import AgentCore
import GRPCTransport
import ZerobusClient

/// Reads table definitions from the Unity Catalog REST API of the workspace in `[zerobus]`,
/// with the same credentials the agent uses: OAuth client credentials (a workspace token,
/// `scope=all-apis`) or the static token. Secrets appear in requests only, never in errors.
public struct UnityCatalogClient: Sendable {
    enum Credentials: Sendable {
        case oauth(clientID: String, clientSecret: String)
        case token(String)
    }

    let workspaceURL: String
    let credentials: Credentials
    let transport: TransportOptions
    let timeout: Duration

    public init(zerobus: AgentConfiguration.Zerobus, timeout: Duration = .seconds(30)) throws(SchemaPullError) {
        guard let workspace = zerobus.workspaceURL else {
            throw SchemaPullError(
                .usage, "zerobus.workspace_url is not set: schema pull reads Unity Catalog at the workspace URL")
        }
        var url = workspace.url
        while url.hasSuffix("/") { url.removeLast() }
        workspaceURL = url
        switch zerobus.auth {
        case .oauth(let clientID, let clientSecret, _): credentials = .oauth(clientID: clientID, clientSecret: clientSecret)
        case .token(let token): credentials = .token(token)
        case .notLoaded: throw SchemaPullError(.usage, "the [zerobus] credentials were not loaded")
        }
        var transport = TransportOptions()
        transport.extraCAFile = zerobus.caFile
        transport.userAgent = "zerobus-edge/\(AgentRuntime.version)"
        transport.proxy = zerobus.proxy(forHost: workspace.host).map { .url($0.url) } ?? .none
        self.transport = transport
        self.timeout = timeout
    }

    /// `GET /api/2.1/unity-catalog/tables/{catalog.schema.table}`.
    public func table(_ name: TableName) async throws(SchemaPullError) -> UnityCatalogTable {
        let bearer = try await bearerToken()
        // TableName allows only letters, digits and `_` in each part: nothing to percent-encode.
        let url = "\(workspaceURL)/api/2.1/unity-catalog/tables/\(name)"
        let response: HTTPResponse
        do {
            response = try await HTTP1Client.request(
                method: "GET", url: url,
                headers: [HeaderField("authorization", "Bearer \(bearer)"), HeaderField("accept", "application/json")],
                body: [], options: transport, timeout: timeout)
        } catch {
            throw SchemaPullError(.runtime, "Unity Catalog request to \(url) failed: \(error)")
        }
        guard response.status == 200 else {
            throw Self.failure(status: response.status, body: response.body, table: name, url: url)
        }
        return try UnityCatalogTable(json: response.body, requestedName: name.description)
    }

    private func bearerToken() async throws(SchemaPullError) -> String {
        switch credentials {
        case .token(let token):
            return token
        case .oauth(let clientID, let clientSecret):
            do {
                return try await WorkspaceToken.fetch(
                    workspaceURL: workspaceURL, clientID: clientID, clientSecret: clientSecret,
                    transport: transport, timeout: timeout)
            } catch {
                throw SchemaPullError(
                    .runtime, "\(error.message) (check zerobus.client_id / client_secret and workspace_url)")
            }
        }
    }

    /// Databricks errors are `{"error_code": "...", "message": "..."}`; name the likely cause.
    static func failure(status: Int, body responseBody: [UInt8], table: TableName, url: String) -> SchemaPullError {
        var code = ""
        var detail = ""
        if case .object(let body)? = try? JSONParser.parse(responseBody) {
            if case .string(let text)? = body["error_code"] { code = text }
            if case .string(let text)? = body["message"] { detail = text }
        }
        let reported = [code, detail].filter { !$0.isEmpty }.joined(separator: ": ")
        let suffix = reported.isEmpty ? "" : " (\(reported))"
        switch status {
        case 401:
            return SchemaPullError(
                .runtime, "Unity Catalog rejected the credentials: HTTP 401\(suffix); check the token or client_id / client_secret")
        case 403:
            return SchemaPullError(
                .runtime, "no permission to read table \(table): HTTP 403\(suffix); the principal needs USE CATALOG, "
                    + "USE SCHEMA and SELECT (or BROWSE) on it")
        case 404 where code.hasSuffix("_DOES_NOT_EXIST"):
            return SchemaPullError(.runtime, "table \(table) not found in Unity Catalog\(suffix)")
        default:
            return SchemaPullError(.runtime, "Unity Catalog answered HTTP \(status) for \(url)\(suffix)")
        }
    }
}
