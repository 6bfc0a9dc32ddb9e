import Testing
@testable import AgentCore

/// Whatever the bytes, decoding ends in documents or a `MappingError` (the quarantine's reason):
/// never a crash, a hang or an unbounded allocation on the MQTT thread.
@Suite struct SparkplugHostileInputTests {
    private func outcome(_ bytes: [UInt8], topic: String = "spBv1.0/g/NBIRTH/n") -> Result<Int, MappingError> {
        bytes.withUnsafeBufferPointer { buffer in
            Result { () throws(MappingError) -> Int in
                try SparkplugRecords.decode(topic: topic, payload: buffer, aliases: SparkplugAliasBook()).documents.count
            }
        }
    }

    @Test func everyTruncationOfARealBirthIsRefusedOrDecodesItsWholeFields() {
        let birth = PysparkplugFixtures.nbirth
        var refused = 0
        for length in 0..<birth.count {
            switch outcome(Array(birth[..<length])) {
            case .success(let count): #expect(count <= 22)  // the last field (seq) may be cut whole
            case .failure(let error):
                #expect(error.reason.hasPrefix("malformed Sparkplug B payload: "))
                refused += 1
            }
        }
        #expect(refused > birth.count / 2)
    }

    @Test func randomBytesAndFlippedBitsNeverCrash() {
        var generator = SplitMix64(seed: 0x5EED)
        for _ in 0..<2000 {
            let length = Int(generator.next() % 512)
            _ = outcome((0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        }
        let birth = PysparkplugFixtures.nbirth
        for _ in 0..<2000 {
            var mutated = birth
            for _ in 0..<3 {
                let index = Int(generator.next() % UInt64(mutated.count))
                mutated[index] ^= UInt8(truncatingIfNeeded: 1 << (generator.next() % 8))
            }
            _ = outcome(mutated)
        }
    }

    @Test func aHugeDeclaredLengthIsRefusedWithoutAllocatingIt() {
        // Field 2 (a metric) claiming 2^62 bytes.
        let bytes: [UInt8] = [0x12] + ProtobufTestWriter.varintBytes(1 << 62) + [0x0a, 0x01]
        guard case .failure(let error) = outcome(bytes) else {
            Issue.record("decoded")
            return
        }
        #expect(error.reason.contains("runs past the end of the payload"))
    }
}

/// A small deterministic generator, so a failure reproduces.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
