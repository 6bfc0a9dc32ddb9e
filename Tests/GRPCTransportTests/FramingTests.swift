import Testing
@testable import GRPCTransport

@Suite struct FramingTests {
    /// Deframes `stream` fed in pieces of the given sizes (cycled).
    private func deframe(_ stream: [UInt8], chunkSizes: [Int], limit: Int = 1 << 20) throws -> [[UInt8]] {
        var deframer = GRPCMessageDeframer(maxMessageSize: limit)
        var messages: [[UInt8]] = []
        var offset = 0
        var turn = 0
        while offset < stream.count {
            let size = min(chunkSizes[turn % chunkSizes.count], stream.count - offset)
            try stream[offset..<(offset + size)].withUnsafeBytes { chunk in
                try deframer.process(chunk) { messages.append($0) }
            }
            offset += size
            turn += 1
        }
        #expect(!deframer.hasPartialMessage)
        return messages
    }

    @Test func framer_prefixesFlagAndBigEndianLength() {
        let framed = GRPCMessageFramer.framed(Array(repeating: 7, count: 0x010203))
        #expect(Array(framed.prefix(5)) == [0, 0x00, 0x01, 0x02, 0x03])
        #expect(framed.count == 0x010203 + 5)
        #expect(GRPCMessageFramer.framed([]) == [0, 0, 0, 0, 0])
    }

    @Test func deframer_whenSeveralMessagesShareOneChunk() throws {
        let messages: [[UInt8]] = [[1, 2, 3], [], [4], Array(repeating: 9, count: 300)]
        let stream = messages.flatMap(GRPCMessageFramer.framed)
        #expect(try deframe(stream, chunkSizes: [stream.count]) == messages)
    }

    @Test(arguments: [[1], [2, 3], [4, 7, 1], [16384], [5]])
    func deframer_whenMessagesSpanChunks(chunkSizes: [Int]) throws {
        let messages: [[UInt8]] = (0..<20).map { index in (0..<(index * 37)).map { UInt8(truncatingIfNeeded: $0 &+ index) } }
            + [Array(repeating: 0xAB, count: 70_000)]
        let stream = messages.flatMap(GRPCMessageFramer.framed)
        #expect(try deframe(stream, chunkSizes: chunkSizes) == messages)
    }

    @Test func deframer_reportsPartialMessageUntilComplete() throws {
        var deframer = GRPCMessageDeframer(maxMessageSize: 100)
        let stream = GRPCMessageFramer.framed([1, 2, 3, 4])
        var received: [[UInt8]] = []
        try stream[0..<7].withUnsafeBytes { try deframer.process($0) { received.append($0) } }
        #expect(deframer.hasPartialMessage && received.isEmpty)
        try stream[7...].withUnsafeBytes { try deframer.process($0) { received.append($0) } }
        #expect(!deframer.hasPartialMessage && received == [[1, 2, 3, 4]])
    }

    @Test func deframer_rejectsCompressedMessages() {
        var deframer = GRPCMessageDeframer(maxMessageSize: 100)
        #expect(throws: GRPCFramingError.compressedMessage) {
            try [UInt8]([1, 0, 0, 0, 1, 42]).withUnsafeBytes { try deframer.process($0) { _ in } }
        }
        #expect(GRPCFramingError.compressedMessage.status.code == .internal)
    }

    @Test func deframer_rejectsUnknownFlag() {
        var deframer = GRPCMessageDeframer(maxMessageSize: 100)
        #expect(throws: GRPCFramingError.invalidFlag(2)) {
            try [UInt8]([2, 0, 0, 0, 0]).withUnsafeBytes { try deframer.process($0) { _ in } }
        }
    }

    @Test func deframer_rejectsMessagesOverTheLimitBeforeBuffering() {
        var deframer = GRPCMessageDeframer(maxMessageSize: 1000)
        #expect(throws: GRPCFramingError.messageTooLarge(length: 1001, limit: 1000)) {
            try [UInt8]([0, 0, 0, 0x03, 0xE9]).withUnsafeBytes { try deframer.process($0) { _ in } }
        }
        #expect(GRPCFramingError.messageTooLarge(length: 1001, limit: 1000).status.code == .resourceExhausted)
    }
}
