import DynamicProtobuf
import Testing
@testable import AgentCore

/// MQTT v5 in the mapping: `$share/<group>/<filter>` routing and the `mqtt.*` column sources.
@Suite struct MQTTv5MappingTests {
    @Test(arguments: [
        ("$share/g/sensors/+/+", "sensors/dev1/temp", true),
        ("$share/g/sensors/+/+", "sensors/dev1", false),
        ("$share/group-1/plant/#", "plant/a/b", true),
        ("$share/g/#", "a/b", true),
        ("$share/g/#", "$SYS/broker/uptime", false),
        // The real topic arrives, never the $share form: the share prefix itself must not match.
        ("$share/g/sensors/+/+", "$share/g/sensors/dev1/temp", false),
    ])
    func sharedFiltersRouteOnTheirInnerFilter(filter: String, topic: String, expected: Bool) throws {
        let parsed = try TopicFilter(filter)
        #expect(parsed.text == filter)
        #expect(parsed.shareGroup != nil)
        #expect(parsed.matches(topic) == expected)
    }

    @Test func ordinaryFiltersHaveNoShareGroup() throws {
        #expect(try TopicFilter("sensors/#").shareGroup == nil)
        #expect(try TopicFilter("$share/plant-a/sensors/#").shareGroup == "plant-a")
        // "$shared/…" is not a shared subscription, just a topic starting with $.
        #expect(try TopicFilter("$shared/x").shareGroup == nil)
    }

    @Test(arguments: [
        ("$share/", "a shared subscription is $share/<group>/<filter>"),
        ("$share/g", "a shared subscription is $share/<group>/<filter>"),
        ("$share//a", "a shared subscription is $share/<group>/<filter>"),
        ("$share/g/", "a shared subscription needs a filter after $share/<group>/"),
        ("$share/g+/a", "the share group name must not contain '+' or '#'"),
        ("$share/g/a/#/b", "'#' must be the last level of a topic filter"),
    ])
    func invalidSharedFilters(filter: String, message: String) {
        #expect(throws: TopicFilterError(filter: filter, message: message)) { try TopicFilter(filter) }
    }

    @Test func parsesPropertySources() throws {
        #expect(try ColumnSource(parsing: "mqtt.content_type") == .messageProperty(.contentType))
        #expect(try ColumnSource(parsing: "mqtt.response_topic") == .messageProperty(.responseTopic))
        #expect(try ColumnSource(parsing: "mqtt.message_expiry_s") == .messageProperty(.messageExpirySeconds))
        #expect(try ColumnSource(parsing: "mqtt.user_property.site") == .messageProperty(.userProperty("site")))
        #expect(try ColumnSource(parsing: "mqtt.user_property.a.b") == .messageProperty(.userProperty("a.b")))
        for text in ["mqtt.content_type", "mqtt.user_property.site", "mqtt.message_expiry_s"] {
            #expect(try ColumnSource(parsing: text).description == text)
        }
    }

    @Test(arguments: ["mqtt.", "mqtt.qos", "mqtt.user_property.", "mqtt.user_property", "mqtt.Content_Type"])
    func rejectsUnknownProperties(text: String) {
        #expect(throws: ColumnSourceError.self) { try ColumnSource(parsing: text) }
    }

    private func mapper() throws -> RowMapper {
        func column(_ name: String, _ type: ColumnType, _ source: String) throws -> ColumnMapping {
            ColumnMapping(column: Column(name: name, type: type), source: try ColumnSource(parsing: source), optional: true)
        }
        return RowMapper(mappings: [
            try column("content_type", .string, "mqtt.content_type"),
            try column("reply_to", .string, "mqtt.response_topic"),
            try column("site", .string, "mqtt.user_property.site"),
            try column("line", .int, "mqtt.user_property.line"),
            try column("expiry", .bigint, "mqtt.message_expiry_s"),
        ], format: .json)
    }

    @Test func propertiesFillColumnsAndTheFirstOfARepeatedNameWins() throws {
        let properties = MessageProperties(
            contentType: "application/json", responseTopic: "replies/gw",
            userProperties: [.init(name: "site", value: "berlin"), .init(name: "line", value: "7"),
                             .init(name: "site", value: "hamburg")],
            messageExpirySeconds: 3599)
        let context = MessageContext(receivedAtMicros: 0, gatewayID: "gw", recordID: "r", properties: properties)
        let output = try mapper().map(topic: "t", payload: Array("{}".utf8), context: context)
        #expect(output == .row([.string("application/json"), .string("replies/gw"), .string("berlin"), .int(7), .int(3599)]))
    }

    @Test func everyRowOfAnExplodedMessageGetsItsProperties() throws {
        let mapper = RowMapper(mappings: [
            ColumnMapping(column: Column(name: "v", type: .int), source: try ColumnSource(parsing: "@.v")),
            ColumnMapping(column: Column(name: "site", type: .string), source: .messageProperty(.userProperty("site"))),
        ], format: .json, options: PayloadOptions(explode: try JSONPath(parsing: "$.readings")))
        let context = MessageContext(
            receivedAtMicros: 0, gatewayID: "gw", recordID: "r",
            properties: MessageProperties(userProperties: [.init(name: "site", value: "berlin")]))
        let output = try mapper.map(topic: "t", payload: Array(#"{"readings":[{"v":1},{"v":2}]}"#.utf8), context: context)
        guard case .rows(let rows) = output else {
            Issue.record("expected several rows, got \(output)")
            return
        }
        #expect(rows.map(\.values) == [[.int(1), .string("berlin")], [.int(2), .string("berlin")]])
    }

    @Test func absentPropertiesAreMissingValues() throws {
        let context = MessageContext(receivedAtMicros: 0, gatewayID: "gw", recordID: "r")
        let output = try mapper().map(topic: "t", payload: Array("{}".utf8), context: context)
        #expect(output == .row([nil, nil, nil, nil, nil]))

        let required = RowMapper(mappings: [
            ColumnMapping(column: Column(name: "site", type: .string), source: .messageProperty(.userProperty("site")))
        ], format: .json)
        #expect(throws: MappingError.self) { try required.map(topic: "t", payload: Array("{}".utf8), context: context) }
    }
}
