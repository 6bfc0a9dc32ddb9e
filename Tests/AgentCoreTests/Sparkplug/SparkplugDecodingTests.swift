import Testing
@testable import AgentCore

/// The payload decoder and value mapping, on payloads encoded by pysparkplug and by hand.
@Suite struct SparkplugDecodingTests {
    private func decode(_ topic: String, _ bytes: [UInt8], aliases: SparkplugAliasBook = SparkplugAliasBook())
        throws(MappingError) -> SparkplugMessage
    {
        try bytes.withUnsafeBufferPointer { (buffer) throws(MappingError) -> SparkplugMessage in
            try SparkplugRecords.decode(topic: topic, payload: buffer, aliases: aliases)
        }
    }

    private func object(_ value: JSONValue) throws -> JSONObject {
        guard case .object(let object) = value else { throw DecodingFailure(value: value) }
        return object
    }

    private struct DecodingFailure: Error { var value: JSONValue }

    private func values(_ message: SparkplugMessage) throws -> [String: JSONValue] {
        var byName: [String: JSONValue] = [:]
        for document in message.documents {
            let object = try object(document)
            if case .string(let name)? = object["name"] { byName[name] = object["value"] }
        }
        return byName
    }

    private static func integer(_ value: Int64) -> JSONValue { .number(JSONNumber(integer: value)) }
    private static func double(_ value: Double) -> JSONValue { .number(JSONNumber(double: value)) }

    @Test func everyScalarDatatypeOfAPysparkplugBirth() throws {
        let message = try decode("spBv1.0/plant/NBIRTH/edge1", PysparkplugFixtures.nbirth)
        #expect(message.documents.count == 22)
        let values = try values(message)
        #expect(values["bdSeq"] == Self.integer(3))
        #expect(values["Int8"] == Self.integer(-5))
        #expect(values["Int16"] == Self.integer(-300))
        #expect(values["Int32"] == Self.integer(-70000))
        #expect(values["Int64"] == Self.integer(-5_000_000_000))
        #expect(values["UInt8"] == Self.integer(250))
        #expect(values["UInt16"] == Self.integer(65000))
        #expect(values["UInt32"] == Self.integer(4_000_000_000))
        // Above Int64.max: exact decimal text, not a rounded double.
        #expect(values["UInt64"] == .string("18446744073709551615"))
        // The float's shortest decimal, not 0.10000000149011612.
        #expect(values["Float"] == Self.double(0.1))
        #expect(values["Double"] == Self.double(21.5))
        #expect(values["Boolean"] == .bool(true))
        #expect(values["String"] == .string("RUNNING"))
        #expect(values["DateTime"] == Self.integer(1_700_000_000_123))
        #expect(values["Text"] == .string("ünïcode"))
        #expect(values["UUID"] == .string("0b5a6f3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"))
        #expect(values["Bytes"] == .string("AAH+/w=="))
        #expect(values["Int16Array"] == .array([Self.integer(-1), Self.integer(2), Self.integer(-32768)]))
        #expect(values["DoubleArray"] == .array([Self.double(1.5), Self.double(-2.25)]))
        #expect(values["BooleanArray"] == .array([true, false, true, true, false, false, false, false, true].map(JSONValue.bool)))
        #expect(values["StringArray"] == .array([.string("a"), .string(""), .string("ü")]))
        #expect(values["Null"] == .null)
    }

    @Test func aBirthDocumentHasTheTopicPayloadAndMetricKeys() throws {
        let message = try decode("spBv1.0/plant/NBIRTH/edge1", PysparkplugFixtures.nbirth)
        let int8 = try object(message.documents[1])
        #expect(int8.members.map(\.key) == [
            "group", "edge_node", "message_type", "name", "alias", "datatype", "value", "long_value", "double_value",
            "timestamp", "payload_timestamp", "seq", "is_historical", "is_transient", "is_null",
        ])
        #expect(int8["group"] == .string("plant"))
        #expect(int8["edge_node"] == .string("edge1"))
        #expect(int8["device"] == nil)
        #expect(int8["message_type"] == .string("NBIRTH"))
        #expect(int8["alias"] == Self.integer(1))
        #expect(int8["datatype"] == .string("Int8"))
        #expect(int8["timestamp"] == Self.integer(1_780_000_000_001))
        #expect(int8["payload_timestamp"] == Self.integer(1_780_000_000_000))
        #expect(int8["seq"] == Self.integer(0))
        #expect(int8["is_null"] == .bool(false))
        let null = try object(message.documents[21])
        #expect(null["is_null"] == .bool(true))
        let birth = try #require(message.birth)
        #expect(birth.scope == SparkplugAliasBook.Scope(group: "plant", edgeNode: "edge1", device: ""))
        #expect(birth.definitions.count == 22)
        #expect(birth.definitions[1] == SparkplugAliasBook.Definition(name: "Int8", alias: 1, datatype: 1))
    }

    @Test func aliasOnlyDataIsReadWithTheBirthsNamesAndDatatypes() throws {
        var book = SparkplugAliasBook()
        let birth = try #require(try decode("spBv1.0/plant/NBIRTH/edge1", PysparkplugFixtures.nbirth).birth)
        book.replace(birth.scope, with: birth.definitions)
        let message = try decode("spBv1.0/plant/NDATA/edge1", PysparkplugFixtures.ndataAliasesOnly, aliases: book)
        let documents = try message.documents.map(object)
        #expect(documents.map { $0["name"] } == ["Int8", "UInt64", "Double", "String"].map(JSONValue.string))
        #expect(documents.map { $0["datatype"] } == ["Int8", "UInt64", "Double", "String"].map(JSONValue.string))
        // Int8 −128 arrives as the unsigned 128 with no datatype on the wire: the BIRTH's makes it signed.
        #expect(documents.map { $0["value"] } == [Self.integer(-128), Self.integer(42), Self.double(-0.5), .string("STOPPED")])
        #expect(documents[0]["timestamp"] == Self.integer(1_780_000_000_999))
        // No metric timestamp: the payload's.
        #expect(documents[2]["timestamp"] == Self.integer(1_780_000_001_000))
        #expect(documents[3]["string_value"] == .string("STOPPED"))
        #expect(documents[3]["double_value"] == nil)
        #expect(message.birth == nil)
    }

    @Test func anUnknownAliasRefusesTheMessageWithTheReason() throws {
        do {
            _ = try decode("spBv1.0/plant/NDATA/edge1", PysparkplugFixtures.ndataAliasesOnly)
            Issue.record("decoded without a BIRTH")
        } catch {
            #expect(error.reason == "NDATA metric 1 of 4: unknown alias 1: cannot be resolved: no NBIRTH seen for plant/edge1")
        }
        var book = SparkplugAliasBook()
        book.replace(.init(group: "plant", edgeNode: "edge1", device: "d1"), with: [.init(name: "x", alias: 1, datatype: 3)])
        let ddata = sparkplugPayload(metrics: [{ $0.varint(2, 1); $0.varint(10, 7) }, { $0.varint(2, 99); $0.varint(10, 7) }])
        do {
            _ = try decode("spBv1.0/plant/DDATA/edge1/d1", ddata, aliases: book)
            Issue.record("decoded an undeclared alias")
        } catch {
            #expect(error.reason == "DDATA metric 2 of 2: unknown alias 99: is not declared by the DBIRTH for plant/edge1/d1")
        }
    }

    @Test func aNodeBirthForgetsItsDevicesAndADeviceBirthOnlyItself() {
        var book = SparkplugAliasBook()
        let node = SparkplugAliasBook.Scope(group: "g", edgeNode: "n", device: "")
        let device = SparkplugAliasBook.Scope(group: "g", edgeNode: "n", device: "d")
        let other = SparkplugAliasBook.Scope(group: "g", edgeNode: "m", device: "d")
        book.replace(node, with: [.init(name: "a", alias: 1, datatype: 3)])
        book.replace(device, with: [.init(name: "b", alias: 2, datatype: 3)])
        book.replace(other, with: [.init(name: "c", alias: 2, datatype: 3)])
        book.replace(device, with: [.init(name: "b2", alias: 3, datatype: 3)])
        #expect(book.definition(alias: 2, in: device) == nil)
        #expect(book.definition(alias: 3, in: device)?.name == "b2")
        book.replace(node, with: [.init(name: "a2", alias: 1, datatype: 3)])
        #expect(book.definition(alias: 1, in: node)?.name == "a2")
        #expect(!book.hasBirth(device))
        #expect(book.definition(alias: 2, in: other)?.name == "c")
    }

    @Test func deathsMakeOneRowPerMetricOrOneWithoutMetricsAndCanBeIgnored() throws {
        let ndeath = try decode("spBv1.0/plant/NDEATH/edge1", PysparkplugFixtures.ndeath)
        let bdSeq = try object(try #require(ndeath.documents.first))
        #expect(bdSeq["name"] == .string("bdSeq"))
        #expect(bdSeq["value"] == Self.integer(3))
        #expect(bdSeq["message_type"] == .string("NDEATH"))
        let ddeath = try decode("spBv1.0/plant/DDEATH/edge1/press", PysparkplugFixtures.ddeath)
        let row = try object(try #require(ddeath.documents.first))
        #expect(row.members.map(\.key) == ["group", "edge_node", "device", "message_type", "timestamp", "payload_timestamp", "seq"])
        #expect(row["seq"] == Self.integer(7))
        #expect(ddeath.documents(for: SparkplugOptions()).count == 1)
        #expect(ddeath.documents(for: SparkplugOptions(death: .ignore)).isEmpty)
    }

    @Test func commandsAndStateMakeNoRowsUnlessCommandsAreKept() throws {
        let ncmd = sparkplugPayload(metrics: [{ $0.string(1, "Node Control/Rebirth"); $0.varint(4, 11); $0.varint(14, 1) }])
        let message = try decode("spBv1.0/plant/NCMD/edge1", ncmd)
        #expect(message.documents(for: SparkplugOptions()).isEmpty)
        #expect(message.documents(for: SparkplugOptions(commands: .row)).count == 1)
        let state = try decode("spBv1.0/STATE/scada-1", Array(#"{"online":true,"timestamp":1}"#.utf8))
        #expect(state.topic == .state(host: "scada-1"))
        #expect(state.documents(for: SparkplugOptions(commands: .row)).isEmpty)
    }

    @Test(arguments: [
        ("spBv1.0/plant/NDATA", "not a Sparkplug B topic: spBv1.0/plant/NDATA: expected spBv1.0/<group>/<type>/<edge node>[/<device>]"),
        ("spBv1.0/plant/DDATA/edge1", "not a Sparkplug B topic: spBv1.0/plant/DDATA/edge1: DDATA topics have 5 levels, this one has 4"),
        ("spBv1.0/plant/NDATA/edge1/d", "not a Sparkplug B topic: spBv1.0/plant/NDATA/edge1/d: NDATA topics have 4 levels, this one has 5"),
        ("spBv1.0/plant/XDATA/edge1", "not a Sparkplug B topic: spBv1.0/plant/XDATA/edge1: unknown message type \"XDATA\""),
        ("spAv1.0/plant/NDATA/edge1", "not a Sparkplug B topic: spAv1.0/plant/NDATA/edge1: the first level is not spBv1.0"),
        ("spBv1.0//NDATA/edge1", "not a Sparkplug B topic: spBv1.0//NDATA/edge1: an empty level"),
    ])
    func topicsThatDoNotParse(topic: String, reason: String) {
        #expect(throws: MappingError(kind: .invalidPayload, reason: reason)) {
            _ = try decode(topic, sparkplugPayload(metrics: []))
        }
    }

    @Test(arguments: [
        ([0x12, 0x05, 0x0a], "malformed Sparkplug B payload: field of 5 bytes runs past the end of the payload at byte 2"),
        ([0x08, 0xff], "malformed Sparkplug B payload: truncated varint at byte 2"),
        ([0x0d, 0x01, 0x02, 0x03, 0x04], "malformed Sparkplug B payload: field Payload.timestamp has wire type 5, expected 0"),
        ([0x22, 0x02, 0xc3, 0x28], "malformed Sparkplug B payload: field Payload.uuid is not valid UTF-8"),
        ([0x0f], "malformed Sparkplug B payload: invalid field key 15 at byte 1"),
        // JSON on a Sparkplug topic: `{` reads as the start of group 15.
        ([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d], "malformed Sparkplug B payload: field of 97 bytes runs past the end of the payload at byte 3"),
        ([0xA4, 0x06], "malformed Sparkplug B payload: end of group 100 without its start"),
    ] as [([UInt8], String)])
    func malformedPayloads(bytes: [UInt8], reason: String) {
        #expect(throws: MappingError(kind: .invalidPayload, reason: reason)) {
            _ = try decode("spBv1.0/plant/NDATA/edge1", bytes)
        }
    }

    @Test func hostileNestingIsRefusedNotRecursedInto() {
        var template: [UInt8] = []
        for _ in 0..<100 {
            var metric = ProtobufTestWriter()
            metric.string(1, "m")
            if !template.isEmpty { metric.bytes(18, template) }
            var wrapper = ProtobufTestWriter()
            wrapper.bytes(2, metric.bytes)
            template = wrapper.bytes
        }
        let payload = sparkplugPayload(metrics: [{ $0.string(1, "m"); $0.bytes(18, template) }])
        #expect(throws: MappingError.self) { _ = try decode("spBv1.0/g/NBIRTH/n", payload) }
    }

    @Test func signedIntegersReadBothTwosComplementWidths() {
        // Tahu Java writes Int8 −1 as uint32 0xFFFFFFFF, pysparkplug as 0xFF: both are −1.
        #expect(SparkplugValues.integer(0xFFFF_FFFF, datatype: .int8) == Self.integer(-1))
        #expect(SparkplugValues.integer(0xFF, datatype: .int8) == Self.integer(-1))
        #expect(SparkplugValues.integer(0x8000, datatype: .int16) == Self.integer(-32768))
        #expect(SparkplugValues.integer(UInt64.max, datatype: .int64) == Self.integer(-1))
        #expect(SparkplugValues.integer(UInt64(Int64.max), datatype: .uint64) == Self.integer(Int64.max))
    }

    @Test func nonFiniteFloatsBecomeTheStringsFloatColumnsConvert() throws {
        let payload = sparkplugPayload(metrics: [
            { $0.string(1, "nan"); $0.varint(4, 9); $0.fixed32(12, Float.nan.bitPattern) },
            { $0.string(1, "inf"); $0.varint(4, 10); $0.fixed64(13, (-Double.infinity).bitPattern) },
        ])
        let values = try values(try decode("spBv1.0/g/NBIRTH/n", payload))
        #expect(values["nan"] == .string("NaN"))
        #expect(values["inf"] == .string("-Infinity"))
    }

    @Test func dataSetsTemplatesPropertiesAndMetadataBecomeObjects() throws {
        let payload = sparkplugPayload(metrics: [
            { metric in
                metric.string(1, "table")
                metric.varint(4, 16)
                metric.message(17) { set in
                    set.varint(1, 2)
                    set.string(2, "id")
                    set.string(2, "label")
                    set.bytes(3, [3, 12])  // packed types: Int32, String
                    set.message(4) { row in
                        row.message(1) { $0.varint(1, 0xFFFF_FFFE) }
                        row.message(1) { $0.string(6, "two") }
                    }
                }
                metric.message(9) { properties in
                    properties.string(1, "engUnit")
                    properties.message(2) { $0.varint(1, 12); $0.string(8, "°C") }
                    properties.string(1, "quality")
                    properties.message(2) { $0.varint(1, 3); $0.varint(3, 192) }
                }
                metric.message(8) { $0.string(2, "text/plain"); $0.varint(3, 10) }
            },
            { metric in
                metric.string(1, "udt")
                metric.varint(4, 19)
                metric.message(18) { template in
                    template.string(1, "v1")
                    template.message(2) { $0.string(1, "speed"); $0.varint(4, 10); $0.fixed64(13, (2.5).bitPattern) }
                    template.message(3) { $0.string(1, "limit"); $0.varint(2, 7); $0.varint(3, 100) }
                    template.string(4, "Motor")
                }
            },
        ])
        let documents = try decode("spBv1.0/g/NBIRTH/n", payload).documents.map(object)
        #expect(documents[0]["value"]?.compactText == #"{"columns":["id","label"],"types":["Int32","String"],"rows":[[-2,"two"]]}"#)
        #expect(documents[0]["properties"]?.compactText == #"{"engUnit":"°C","quality":192}"#)
        #expect(documents[0]["metadata"]?.compactText == #"{"content_type":"text/plain","size":10}"#)
        #expect(documents[1]["value"]?.compactText
            == #"{"template_ref":"Motor","version":"v1","parameters":{"limit":100},"metrics":[{"name":"speed","datatype":"Double","value":2.5}]}"#)
    }

    @Test func unknownFieldsAndExtensionsAreSkipped() throws {
        let payload = sparkplugPayload(metrics: [{ $0.string(1, "a"); $0.varint(4, 3); $0.varint(10, 5); $0.varint(99, 1) }])
            + [0xA2, 0x06, 0x01, 0x00]  // field 100, length-delimited, 1 byte
        let values = try values(try decode("spBv1.0/g/NBIRTH/n", payload))
        #expect(values["a"] == Self.integer(5))
    }

    @Test func aBirthDeclaringAnAliasTwiceIsRefused() {
        let payload = sparkplugPayload(metrics: [
            { $0.string(1, "a"); $0.varint(2, 1); $0.varint(4, 3) },
            { $0.string(1, "b"); $0.varint(2, 1); $0.varint(4, 3) },
        ])
        #expect(throws: MappingError(kind: .invalidPayload, reason: "DBIRTH declares alias 1 twice")) {
            _ = try decode("spBv1.0/g/DBIRTH/n/d", payload)
        }
    }
}
