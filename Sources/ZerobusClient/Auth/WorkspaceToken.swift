#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRPCTransport

/// A workspace-wide OAuth token for Databricks REST APIs such as Unity Catalog.
///
/// Same endpoint and client credentials as `OAuthTokenProvider`, but only `scope=all-apis`: REST
/// calls are authorized by the principal's grants, and a Zerobus-scoped token (resource +
/// table `authorization_details`) is meant for the ingest service only.
public enum WorkspaceToken {
    /// Mints one token; not cached (a CLI command needs one).
    /// - Parameter workspaceURL: `https://<workspace>.cloud.databricks.com`.
    public static func fetch(
        workspaceURL: String, clientID: String, clientSecret: String,
        transport: TransportOptions = TransportOptions(), timeout: Duration = .seconds(30)
    ) async throws(ZerobusError) -> String {
        let request = TokenRequest(
            url: workspaceURL + "/oidc/v1/token",
            basicCredentials: Data("\(clientID):\(clientSecret)".utf8).base64EncodedString(),
            workspaceID: "", table: nil, transport: transport, timeout: timeout)
        return try await request.perform().accessToken
    }
}
