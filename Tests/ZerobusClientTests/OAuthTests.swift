import Testing

@testable import ZerobusClient

@Suite struct OAuthTests {
    @Test(arguments: [
        ("https://1234567890123456.zerobus.us-west-2.cloud.databricks.com", "1234567890123456"),
        ("http://127.0.0.1:50551", "127"),
        ("http://localhost:8080", "localhost:8080"),
    ])
    func workspaceIDIsTheFirstHostLabel(endpoint: String, expected: String) {
        #expect(OAuthTokenProvider.workspaceID(fromEndpoint: endpoint) == expected)
    }

    private func request(table: String = "main.iot.readings") -> TokenRequest {
        TokenRequest(
            url: "http://x/oidc/v1/token", basicCredentials: "", workspaceID: "42", table: table,
            transport: TransportOptions(), timeout: .seconds(1))
    }

    @Test func formCarriesScopeResourceDetailsAndGrant() {
        let form = request().formBody()
        let fields = form.split(separator: "&").map { $0.split(separator: "=", maxSplits: 1).map(String.init) }
        #expect(fields.map { $0[0] } == ["scope", "resource", "authorization_details", "grant_type"])
        #expect(fields[0][1] == "all-apis")
        #expect(fields[1][1] == "api%3A%2F%2Fdatabricks%2Fworkspaces%2F42%2FzerobusDirectWriteApi")
        #expect(fields[3][1] == "client_credentials")
    }

    @Test func authorizationDetailsAreScopedToTheTable() {
        let details = request().authorizationDetails()
        #expect(details.contains("\"object_full_path\":\"main\",\"object_type\":\"CATALOG\""))
        #expect(details.contains("\"object_full_path\":\"main.iot\",\"object_type\":\"SCHEMA\""))
        #expect(details.contains("\"object_full_path\":\"main.iot.readings\",\"object_type\":\"TABLE\",\"operations\":[\"zerobuswrite\"]"))
    }

    @Test func tokenResponseParsing() throws {
        let token = try request().parse(Array("{\"access_token\":\"abc\",\"expires_in\":\"3600\"}".utf8))
        #expect(token.accessToken == "abc")
        #expect(token.refreshAt != nil)
        let uncached = try request().parse(Array("{\"access_token\":\"abc\"}".utf8))
        #expect(uncached.refreshAt == nil)
        #expect(throws: ZerobusError.self) { try request().parse(Array("not json".utf8)) }
        #expect(throws: ZerobusError.self) { try request().parse(Array("{\"access_token\":\"a b\"}".utf8)) }
    }

    @Test func tableNamesMustHaveThreeParts() {
        #expect(throws: ZerobusError.self) { try ZerobusClient.validateTableName("a.b") }
        #expect(throws: ZerobusError.self) { try ZerobusClient.validateTableName("a..c") }
        #expect(throws: Never.self) { try ZerobusClient.validateTableName("a.b.c") }
    }
}

@Suite struct WorkspaceTokenFormTests {
    @Test func workspaceTokenAsksOnlyForAllAPIs() {
        let request = TokenRequest(
            url: "http://x/oidc/v1/token", basicCredentials: "", workspaceID: "", table: nil,
            transport: TransportOptions(), timeout: .seconds(1))
        #expect(request.formBody() == "grant_type=client_credentials&scope=all-apis")
    }
}
