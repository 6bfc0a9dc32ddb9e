import DynamicProtobuf
import Testing

/// A descriptor read back from its serialized bytes (the agent stores them in the ring and
/// uses them for rows of a table no longer configured).
@Suite struct SerializedDescriptorTests {
    @Test func everyColumnTypeReadsBackToTheSameDescriptor() throws {
        let original = try MessageDescriptor(schema: RoundTripTests.everyColumnType)
        let bytes = original.serializedDescriptorProto()
        let readBack = try MessageDescriptor(serializedDescriptorProto: bytes)
        #expect(readBack.serializedDescriptorProto() == bytes)
        #expect(readBack.fields.map(\.name) == original.fields.map(\.name))
    }

    @Test func bytesThatAreNoDescriptorAreAnError() {
        #expect(throws: DescriptorError.self) { try MessageDescriptor(serializedDescriptorProto: [0xff, 0xff, 0xff]) }
    }
}
