import Testing

@testable import ZerobusClient

/// Byte examples captured from the official SDK (ZEROBUS_PROTOCOL.md §2.1).
@Suite struct WireMessagesTests {
    private func hex(_ text: String) -> [UInt8] {
        text.split(separator: " ").map { UInt8($0, radix: 16)! }
    }

    @Test func createStreamForJSON() throws {
        let bytes = try WireMessages.createStream(table: "a.b.c", format: .json)
        #expect(bytes == hex("0a 09 0a 05 61 2e 62 2e 63 20 02"))
    }

    @Test func singleJSONRecordAtOffsetZeroCarriesTheOffsetExplicitly() throws {
        let bytes = try WireMessages.ingest(records: [Array("{\"a\":1}".utf8)], wireOffset: 0, format: .json)
        #expect(bytes == hex("12 0b 08 00 1a 07 7b 22 61 22 3a 31 7d"))
    }

    @Test func jsonBatch() throws {
        let bytes = try WireMessages.ingest(records: [Array("{}".utf8), Array("{}".utf8)], wireOffset: 1, format: .json)
        #expect(bytes == hex("1a 0c 08 01 1a 08 0a 02 7b 7d 0a 02 7b 7d"))
    }

    @Test func protoBatchUsesField2() throws {
        let bytes = try WireMessages.ingest(records: [[0x08, 0x01], [0x08, 0x02]], wireOffset: 3, format: .proto(descriptor: []))
        #expect(bytes == hex("1a 0c 08 03 12 08 0a 02 08 01 0a 02 08 02"))
    }

    @Test func decodesServerMessages() throws {
        #expect(try WireMessages.decodeResponse(hex("0a 04 0a 02 73 31")) == .created(streamID: "s1"))
        #expect(try WireMessages.decodeResponse(hex("12 02 08 05")) == .acknowledged(upToWireOffset: 5))
        #expect(try WireMessages.decodeResponse(hex("1a 04 0a 02 08 01")) == .closeSignal(after: .seconds(1)))
    }

    @Test func rejectsAckWithoutOffsetAndCreateWithoutID() {
        #expect(throws: ZerobusError.self) { try WireMessages.decodeResponse(hex("12 00")) }
        #expect(throws: ZerobusError.self) { try WireMessages.decodeResponse(hex("0a 00")) }
        #expect(throws: ZerobusError.self) { try WireMessages.decodeResponse(hex("ff ff")) }
    }
}
