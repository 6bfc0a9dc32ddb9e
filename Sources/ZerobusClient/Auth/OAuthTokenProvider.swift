#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRPCTransport

/// OAuth 2.0 client credentials against `{workspace_url}/oidc/v1/token`, with the table-scoped
/// `authorization_details` Zerobus requires (ZEROBUS_PROTOCOL.md §5).
///
/// Tokens are cached per table until shortly before `expires_in`; concurrent opens share one
/// mint. After a rejection (`invalidate`) the next open mints afresh. Secrets never leave this
/// type except in the token request itself.
public actor OAuthTokenProvider: HeadersProvider {
    private let tokenURL: String
    private let workspaceID: String
    private let basicCredentials: String
    private let transport: TransportOptions
    private let requestTimeout: Duration
    private var cache: [String: CachedToken] = [:]
    private var mints: [String: Task<CachedToken, any Error>] = [:]
    private let clock = ContinuousClock()

    struct CachedToken: Sendable {
        let accessToken: String
        /// `nil`: the server gave no `expires_in`, so the token is used once and not cached.
        let refreshAt: ContinuousClock.Instant?
    }

    /// - Parameters:
    ///   - workspaceURL: `https://<workspace>.cloud.databricks.com` (the token endpoint host).
    ///   - zerobusEndpoint: the Zerobus endpoint; its first host label is the workspace id.
    public init(
        workspaceURL: String, zerobusEndpoint: String, clientID: String, clientSecret: String,
        transport: TransportOptions = TransportOptions(), requestTimeout: Duration = .seconds(30)
    ) {
        self.tokenURL = workspaceURL + "/oidc/v1/token"
        self.workspaceID = Self.workspaceID(fromEndpoint: zerobusEndpoint)
        self.basicCredentials = Data("\(clientID):\(clientSecret)".utf8).base64EncodedString()
        self.transport = transport
        self.requestTimeout = requestTimeout
    }

    public func headers(tableName: String) async throws(ZerobusError) -> [Header] {
        let token = try await token(for: tableName)
        return [Header("authorization", "Bearer \(token)"), Header("x-databricks-zerobus-table-name", tableName)]
    }

    public func invalidate() async {
        cache.removeAll()
    }

    /// The workspace id is the endpoint host up to its first dot (the SDKs' rule).
    static func workspaceID(fromEndpoint endpoint: String) -> String {
        var rest = Substring(endpoint)
        for scheme in ["https://", "http://"] where rest.hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
        }
        return String(rest.prefix { $0 != "." && $0 != "/" })
    }

    private func token(for table: String) async throws(ZerobusError) -> String {
        if let cached = cache[table], let refreshAt = cached.refreshAt, clock.now < refreshAt {
            return cached.accessToken
        }
        let mint: Task<CachedToken, any Error>
        if let running = mints[table] {
            mint = running
        } else {
            let request = TokenRequest(
                url: tokenURL, basicCredentials: basicCredentials, workspaceID: workspaceID,
                table: table, transport: transport, timeout: requestTimeout)
            mint = Task { try await request.perform() }
            mints[table] = mint
        }
        do {
            let token = try await mint.value
            mints[table] = nil
            if token.refreshAt != nil { cache[table] = token }
            return token.accessToken
        } catch {
            mints[table] = nil
            throw (error as? ZerobusError) ?? ZerobusError(.tokenFetch, "OAuth token request failed: \(error)")
        }
    }
}
