import ReadingRing
import Testing

/// Broker redeliveries after a crash: recognised by packet id + content + an older connection.
@Suite struct ReadingRingDeliveryTests {
    @Test func aMessageCommittedOnAnEarlierConnectionIsARedeliveryAfterReopen() throws {
        let dir = try TemporaryDirectory()
        let mark = Delivery(packetID: 7, connectionEpoch: 100, contentHash: 42)
        do {
            let (ring, _) = try ReadingRing.open(dir.configuration())
            let descriptor = try ring.descriptorID(table: "main.a", descriptor: descriptorBytes(1))
            _ = try ring.append([row(1, table: "main.a", descriptor: descriptor)], delivery: mark)
            // Same connection: the broker reuses packet ids only for new messages.
            #expect(try ring.isRedelivery(mark) == false)
            try ring.close()
        }
        let (reopened, _) = try ReadingRing.open(dir.configuration())
        #expect(try reopened.isRedelivery(Delivery(packetID: 7, connectionEpoch: 200, contentHash: 42)))
        #expect(try reopened.isRedelivery(Delivery(packetID: 7, connectionEpoch: 200, contentHash: 43)) == false)
        #expect(try reopened.isRedelivery(Delivery(packetID: 8, connectionEpoch: 200, contentHash: 42)) == false)
    }

    @Test func aReusedPacketIDOverwritesTheMark() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration())
        let descriptor = try ring.descriptorID(table: "main.a", descriptor: descriptorBytes(1))
        _ = try ring.append([row(1, table: "main.a", descriptor: descriptor)],
                            delivery: Delivery(packetID: 3, connectionEpoch: 100, contentHash: 1))
        _ = try ring.append([row(2, table: "main.a", descriptor: descriptor)],
                            delivery: Delivery(packetID: 3, connectionEpoch: 150, contentHash: 2))
        #expect(try ring.isRedelivery(Delivery(packetID: 3, connectionEpoch: 200, contentHash: 1)) == false)
        #expect(try ring.isRedelivery(Delivery(packetID: 3, connectionEpoch: 200, contentHash: 2)))
    }

    /// One mark per packet id would reach ~1.5 MiB; inside a 1 MiB ring it evicted every row.
    @Test func marksOfOldPacketIDsAreDroppedAndDoNotEvictRows() throws {
        let dir = try TemporaryDirectory()
        let (ring, _) = try ReadingRing.open(dir.configuration(maxBytes: 1 << 20))
        let descriptor = try ring.descriptorID(table: "main.a", descriptor: descriptorBytes(1))
        for n in 1...20_000 {
            _ = try ring.append([row(n, table: "main.a", descriptor: descriptor, size: 40)],
                                delivery: Delivery(packetID: Int32(n), connectionEpoch: 100, contentHash: Int64(n)))
        }
        let stats = try ring.stats()
        #expect(stats.rows > 5_000)
        #expect(Int(stats.droppedTotal) + stats.rows == 20_000)
        // The newest marks still catch a redelivery; old ones are gone.
        #expect(try ring.isRedelivery(Delivery(packetID: 19_999, connectionEpoch: 200, contentHash: 19_999)))
        #expect(try ring.isRedelivery(Delivery(packetID: 100, connectionEpoch: 200, contentHash: 100)) == false)
    }
}
