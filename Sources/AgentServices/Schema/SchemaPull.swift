import AgentCore

/// `zerobus-edge schema pull <catalog.schema.table>`: Unity Catalog → a `columns = [...]` block
/// (returned, for stdout) and optionally a `.descriptor` file for a `descriptor = …` table.
public enum SchemaPull {
    public static func run(
        configuration: AgentConfiguration, table: String, descriptorPath: String? = nil, messageName: String? = nil
    ) async throws(SchemaPullError) -> String {
        guard let name = TableName(parsing: table) else {
            throw SchemaPullError(
                .usage, "\"\(table)\" is not a table name catalog.schema.table (letters, digits and _ in each part)")
        }
        let client = try UnityCatalogClient(zerobus: configuration.zerobus)
        let pulled = try PulledSchema(table: try await client.table(name), messageName: messageName)
        var output = pulled.columnsBlock()
        if let descriptorPath {
            let bytes = pulled.descriptorSet(fileName: "\(name.table).proto")
            do {
                try AtomicFileWriter.write(path: descriptorPath, contents: bytes)
            } catch {
                throw SchemaPullError(.runtime, "cannot write \(descriptorPath): \(error)")
            }
            output += "\n# Or, instead of columns (NOT NULL columns are required fields there):\n"
                + "# descriptor = \(PulledSchema.quoted(descriptorPath))\n"
                + "# message    = \(PulledSchema.quoted(pulled.messageName))"
        }
        return output
    }
}
