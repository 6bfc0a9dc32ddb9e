import AgentCore
import ReadingRing

extension QuarantineTool {
    /// An unmappable entry mapped again with the current configuration. A `sparkplug_b` entry is
    /// decoded with the BIRTH definitions stored in the ring (read once per retry into
    /// `aliases`), so a DATA message quarantined for an alias no BIRTH had declared yet maps
    /// once that BIRTH has arrived.
    func mapAgain(
        _ entry: QuarantineEntry, table: CompiledTable, context: MessageContext, aliases: inout SparkplugAliasBook?
    ) throws -> RowMapper.Output {
        let topic = entry.topic ?? ""
        guard table.mapper.format == .sparkplugB else {
            return try table.mapper.map(topic: topic, payload: entry.payload, context: context)
        }
        let book = try aliases ?? SparkplugIntake.book(from: ring.sparkplugAliases())
        aliases = book
        let mapper = table.mapper
        return try entry.payload.withUnsafeBufferPointer { (bytes) throws(MappingError) -> RowMapper.Output in
            let message = try SparkplugRecords.decode(topic: topic, payload: bytes, aliases: book)
            return try mapper.mapRows(
                topic: topic, payload: bytes, documents: message.documents(for: mapper.options.sparkplug), context: context)
        }
    }
}
