import Testing

@testable import ZerobusClient

@Suite struct StreamLedgerTests {
    private func record(_ byte: UInt8) -> [UInt8] { [byte] }

    @Test func wireOffsetsStartAtZeroAndCountRequestsNotRecords() {
        var ledger = StreamLedger()
        #expect(ledger.enqueue([record(1)]) == 0)
        #expect(ledger.enqueue([record(2), record(3)]) == 1)
        let first = ledger.takeNextToSend()
        let second = ledger.takeNextToSend()
        #expect(first?.wireOffset == 0)
        #expect(second?.wireOffset == 1)
        #expect(second?.request.records.count == 2)
        #expect(ledger.takeNextToSend() == nil)
    }

    @Test func cumulativeAckPopsEverythingUpToTheOffset() throws {
        var ledger = StreamLedger()
        for value in 0..<5 { _ = ledger.enqueue([record(UInt8(value)), record(9)]) }
        while ledger.takeNextToSend() != nil {}
        let progress = try ledger.acknowledge(upToWireOffset: 2)
        #expect(progress == .init(lastAckedLogicalOffset: 2, requests: 3, records: 6))
        #expect(ledger.lastAckedLogicalOffset == 2)
        #expect(ledger.outstanding == 2)
    }

    @Test func duplicateAndStaleAcksAreNoOps() throws {
        var ledger = StreamLedger()
        for _ in 0..<3 { _ = ledger.enqueue([record(0)]) }
        while ledger.takeNextToSend() != nil {}
        _ = try ledger.acknowledge(upToWireOffset: 1)
        #expect(try ledger.acknowledge(upToWireOffset: 1) == nil)
        #expect(try ledger.acknowledge(upToWireOffset: 0) == nil)
        #expect(ledger.outstanding == 1)
    }

    @Test func ackBeyondWhatWasSentIsAProtocolError() {
        var ledger = StreamLedger()
        _ = ledger.enqueue([record(0)])
        _ = ledger.takeNextToSend()
        #expect(throws: StreamLedger.AckError.beyondSent(ack: 1, highestSent: 0)) {
            try ledger.acknowledge(upToWireOffset: 1)
        }
    }

    @Test func rewindResendsUnackedFirstInOrderWithBatchGroupingAndNewWireOffsets() throws {
        var ledger = StreamLedger()
        _ = ledger.enqueue([record(0)])
        _ = ledger.enqueue([record(1), record(2)])
        _ = ledger.enqueue([record(3)])
        _ = ledger.takeNextToSend()
        _ = ledger.takeNextToSend()
        _ = try ledger.acknowledge(upToWireOffset: 0)
        _ = ledger.enqueue([record(4)])  // queued while the RPC was failing
        // Only records that were on the wire unacked are resent; record 3 was never sent.
        #expect(ledger.rewindForNewRPC() == 2)

        var resent: [(Int64, Int64, [[UInt8]])] = []
        while let (wire, request) = ledger.takeNextToSend() {
            resent.append((wire, request.logicalOffset, request.records))
        }
        #expect(resent.map(\.0) == [0, 1, 2])
        #expect(resent.map(\.1) == [1, 2, 3])
        #expect(resent.map(\.2) == [[[1], [2]], [[3]], [[4]]])
        // Acks on the new RPC are relative to its own wire offsets.
        let progress = try ledger.acknowledge(upToWireOffset: 0)
        #expect(progress?.lastAckedLogicalOffset == 1)
    }

    @Test func unackedRequestsCoverInflightAndUnsent() throws {
        var ledger = StreamLedger()
        for value in 0..<4 { _ = ledger.enqueue([record(UInt8(value))]) }
        _ = ledger.takeNextToSend()
        _ = ledger.takeNextToSend()
        _ = try ledger.acknowledge(upToWireOffset: 0)
        #expect(ledger.unackedRequests.map(\.logicalOffset) == [1, 2, 3])
    }

    @Test func fifoSurvivesManyPopsAndPrepends() {
        var fifo = FIFO<Int>()
        for value in 0..<5000 { fifo.append(value) }
        var popped: [Int] = []
        for _ in 0..<3000 { popped.append(fifo.popFirst()!) }
        fifo.prepend(contentsOf: [-2, -1])
        #expect(popped == Array(0..<3000))
        #expect(fifo.count == 2002)
        #expect(fifo.popFirst() == -2)
        #expect(fifo.first == -1)
    }
}
