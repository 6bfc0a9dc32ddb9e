/// Supplies the headers of every RPC open (the first and each recovery). They must include
/// `authorization` and `x-databricks-zerobus-table-name`; names must be lowercase.
public protocol HeadersProvider: Sendable {
    func headers(tableName: String) async throws(ZerobusError) -> [Header]
    /// Called after the server rejected the credentials, before the one retry that follows.
    func invalidate() async
}

extension HeadersProvider {
    public func invalidate() async {}
}

/// A fixed bearer token, e.g. a token minted elsewhere.
public struct BearerTokenProvider: HeadersProvider {
    private let token: String

    public init(token: String) {
        self.token = token
    }

    public func headers(tableName: String) async throws(ZerobusError) -> [Header] {
        [Header("authorization", "Bearer \(token)"), Header("x-databricks-zerobus-table-name", tableName)]
    }
}
