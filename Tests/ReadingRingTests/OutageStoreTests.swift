import ReadingRing
import Testing

/// Outages kept in the ring: updated in place by start, the newest `outagesKept`, across a reopen.
@Suite struct OutageStoreTests {
    @Test func outagesAreUpdatedInPlaceTrimmedAndKeptAcrossAReopen() throws {
        let dir = try TemporaryDirectory()
        do {
            let (ring, _) = try ReadingRing.open(dir.configuration())
            for start in 1...(ReadingRing.outagesKept + 3) {
                try ring.saveOutage(OutageRecord(start: Int64(start), end: Int64(start) + 1, rowsBuffered: 5, rowsDropped: 0))
            }
            let open = OutageRecord(start: 1000, end: nil, rowsBuffered: 7, rowsDropped: 1)
            try ring.saveOutage(open)
            try ring.saveOutage(OutageRecord(start: 1000, end: nil, rowsBuffered: 70, rowsDropped: 2))
            try ring.close()
        }
        let (ring, _) = try ReadingRing.open(dir.configuration())
        let outages = try ring.outages()
        #expect(outages.count == ReadingRing.outagesKept)
        #expect(outages.first?.start == 5)
        #expect(outages.last == OutageRecord(start: 1000, end: nil, rowsBuffered: 70, rowsDropped: 2))
        #expect(try ring.rowsEverBuffered() == 0)
    }
}
