import TOML
extension AgentConfiguration {
    /// Rejects what only MQTT v5 provides when `mqtt.protocol` is "v3.1.1": shared subscriptions
    /// (a 3.1.1 broker takes `$share/…` as an ordinary topic, or not at all) and `mqtt.*` column
    /// sources (3.1.1 messages carry no properties, so such a column would always be null).
    /// Runs over the TOML after decoding, so each error names the key and line of the value.
    static func checkProtocolFeatures(_ root: TOMLTable, protocolVersion: MQTTProtocol, diagnostics: ConfigDiagnostics) {
        guard protocolVersion == .v311, let tables = root["table"]?.value.arrayValue else { return }
        // An invalid mqtt.protocol is reported already; its fallback says nothing about intent.
        if let written = root["mqtt"]?.value.tableValue?["protocol"], MQTTProtocol(rawValue: written.value.stringValue ?? "") == nil {
            return
        }
        let hint = "needs mqtt.protocol = \"v5\""
        for (tableIndex, element) in tables.enumerated() {
            guard let table = element.value.tableValue else { continue }
            let path = "table[\(tableIndex)]"
            for (index, topic) in (table["topics"]?.value.arrayValue ?? []).enumerated() {
                guard let text = topic.value.stringValue, text.hasPrefix(TopicFilter.sharePrefix) else { continue }
                diagnostics.report("\(path).topics[\(index)]", at: topic.position,
                                   "the shared subscription \"\(text)\" \(hint) (MQTT 3.1.1 has no shared subscriptions)")
            }
            for (index, column) in (table["columns"]?.value.arrayValue ?? []).enumerated() {
                guard let columnTable = column.value.tableValue else { continue }
                for key in ["from", "default"] {
                    guard let node = columnTable[key], let text = node.value.stringValue,
                          case .messageProperty = try? ColumnSource(parsing: text) else { continue }
                    diagnostics.report("\(path).columns[\(index)].\(key)", at: node.position,
                                       "\(text) \(hint) (MQTT 3.1.1 messages carry no properties)")
                }
            }
        }
    }
}
