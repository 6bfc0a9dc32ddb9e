#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EdgeSupport
import GRPCTransport

/// One client-credentials POST to the OIDC token endpoint.
struct TokenRequest: Sendable {
    let url: String
    let basicCredentials: String
    let workspaceID: String
    /// The table a Zerobus token is scoped to; nil asks for a plain workspace token (REST APIs).
    let table: String?
    let transport: TransportOptions
    let timeout: Duration

    func perform() async throws(ZerobusError) -> OAuthTokenProvider.CachedToken {
        let response: HTTPResponse
        do {
            response = try await HTTP1Client.request(
                method: "POST", url: url,
                headers: [
                    Header("authorization", "Basic \(basicCredentials)"),
                    Header("content-type", "application/x-www-form-urlencoded"),
                    Header("accept", "*/*"),
                ],
                body: Array(formBody().utf8), options: transport, timeout: timeout)
        } catch {
            throw ZerobusError(.tokenFetch, "OAuth token request to \(url) failed: \(error)", retryable: true)
        }
        guard (200..<300).contains(response.status) else {
            // 5xx is the server's trouble and may pass; 4xx means our credentials or scope are wrong.
            let retryable = response.status >= 500
            throw ZerobusError(
                .tokenFetch, "OAuth token endpoint \(url) answered HTTP \(response.status)", retryable: retryable)
        }
        return try parse(response.body)
    }

    func formBody() -> String {
        guard table != nil else {
            // A workspace token for REST APIs: no Zerobus resource, no table authorization_details.
            return "grant_type=client_credentials&scope=all-apis"
        }
        let fields = [
            ("scope", "all-apis"),
            ("resource", "api://databricks/workspaces/\(workspaceID)/zerobusDirectWriteApi"),
            ("authorization_details", authorizationDetails()),
            ("grant_type", "client_credentials"),
        ]
        return fields.map { "\($0.0)=\(Self.formEncode($0.1))" }.joined(separator: "&")
    }

    /// Privileges scoped to the one table (catalog and schema usage, table write).
    func authorizationDetails() -> String {
        let table = self.table ?? ""
        let parts = table.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let catalog = parts.first ?? table
        let schema = parts.count > 1 ? "\(catalog).\(parts[1])" : catalog
        func quoted(_ text: String) -> String { JSONString.quoted(text) }
        return "["
            + "{\"object_full_path\":\(quoted(catalog)),\"object_type\":\"CATALOG\","
            + "\"privileges\":[\"USE CATALOG\"],\"type\":\"unity_catalog_privileges\"},"
            + "{\"object_full_path\":\(quoted(schema)),\"object_type\":\"SCHEMA\","
            + "\"privileges\":[\"USE SCHEMA\"],\"type\":\"unity_catalog_privileges\"},"
            + "{\"object_full_path\":\(quoted(table)),\"object_type\":\"TABLE\",\"operations\":[\"zerobuswrite\"],"
            + "\"privileges\":[\"SELECT\",\"MODIFY\"],\"type\":\"unity_catalog_privileges\"}"
            + "]"
    }

    private struct Body: Decodable {
        let accessToken: String
        let expiresIn: Int?

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token"
            case expiresIn = "expires_in"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            accessToken = try container.decode(String.self, forKey: .accessToken)
            // Some servers quote the number.
            if let number = try? container.decodeIfPresent(Int.self, forKey: .expiresIn) {
                expiresIn = number
            } else if let text = try? container.decodeIfPresent(String.self, forKey: .expiresIn) {
                expiresIn = Int(text)
            } else {
                expiresIn = nil
            }
        }
    }

    func parse(_ body: [UInt8]) throws(ZerobusError) -> OAuthTokenProvider.CachedToken {
        let decoded: Body
        do {
            decoded = try JSONDecoder().decode(Body.self, from: Data(body))
        } catch {
            throw ZerobusError(.tokenFetch, "OAuth token response from \(url) is not valid JSON with an access_token", retryable: false)
        }
        guard !decoded.accessToken.isEmpty,
            decoded.accessToken.utf8.allSatisfy({ $0 >= 0x21 && $0 < 0x7f })
        else {
            throw ZerobusError(.tokenFetch, "OAuth token response from \(url) holds an unusable access_token", retryable: false)
        }
        let refreshAt = decoded.expiresIn.map { lifetime in
            // Refresh 5 minutes early, or at 80% of the lifetime for short-lived tokens.
            let lead = min(300, lifetime / 5)
            return ContinuousClock.now + .seconds(max(0, lifetime - lead))
        }
        return OAuthTokenProvider.CachedToken(accessToken: decoded.accessToken, refreshAt: refreshAt)
    }

    static func formEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "*"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%"
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0xF)]))
            }
        }
        return out
    }
}
