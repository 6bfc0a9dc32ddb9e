/// The values the shipped agent.toml (`config/agent.toml`, installed as
/// /etc/zerobus-edge/agent.toml) holds until an operator fills in the real ones. They let an
/// unedited install pass `check-config` and start; a configuration that still holds one of them
/// cannot deliver, so `check-config` warns about each (by key and line) and `run` stays
/// `unconfigured`: it buffers readings and never contacts the token endpoint or Zerobus.
/// Defined here only; `AgentTOMLFileTests` checks the shipped file against them.
public enum ShippedPlaceholders {
    /// `zerobus.endpoint` as shipped.
    public static let endpoint = "https://workspace-id.zerobus.region.cloud.databricks.com"
    /// `zerobus.workspace_url` as shipped.
    public static let workspaceURL = "https://workspace.cloud.databricks.com"
    /// The fallback of the shipped credentials, `${DATABRICKS_CLIENT_ID:-not-set}`: what
    /// `client_id`, `client_secret` (or `token`) read as while /etc/default/zerobus-edge leaves
    /// the variables unset or empty.
    public static let credential = "not-set"

    /// Warns about every key of `[zerobus]` that still holds its placeholder. Pass `workspaceURL`
    /// only with OAuth: with a static token it is not needed to deliver.
    static func check(
        _ reader: TableReader, endpoint: String?, workspaceURL: String?, credentials: [(key: String, value: String?)]
    ) {
        if endpoint == Self.endpoint {
            reader.warn("endpoint", "still the shipped placeholder: set your workspace's Zerobus endpoint, "
                + "https://<workspace-id>.zerobus.<region>.cloud.databricks.com")
        }
        if workspaceURL == Self.workspaceURL {
            reader.warn("workspace_url", "still the shipped placeholder: set your workspace URL, "
                + "https://<workspace>.cloud.databricks.com (its token endpoint issues the OAuth tokens)")
        }
        for (key, value) in credentials where value == credential {
            let variables = reader.diagnostics.fallbackVariables[reader.keyPath(key)] ?? []
            let why = variables.isEmpty
                ? ""
                : " (" + variables.map { "'\($0)'" }.joined(separator: ", ")
                    + (variables.count == 1 ? " is" : " are") + " unset or empty)"
            // The operator's shell lacks the service's environment: after filling in the file,
            // a plain `check-config` still sees the fallback, so say how to check with it.
            reader.warn(key, "still the shipped placeholder \"\(credential)\"\(why): put the credentials in "
                + "/etc/default/zerobus-edge (the service's environment; check with it: "
                + "sudo sh -c 'set -a; . /etc/default/zerobus-edge; zerobus-edge check-config')")
        }
    }
}

extension AgentConfiguration {
    /// Why the agent cannot deliver as configured, for health, `/readyz` and the log, e.g.
    /// "zerobus.endpoint, zerobus.client_id still hold the shipped placeholders"; nil when
    /// no key holds one.
    public var unconfiguredReason: String? {
        guard !placeholders.isEmpty else { return nil }
        let keys = placeholders.map(\.keyPath).joined(separator: ", ")
        return keys + (placeholders.count == 1 ? " still holds the shipped placeholder" : " still hold the shipped placeholders")
            + " (see check-config)"
    }
}
