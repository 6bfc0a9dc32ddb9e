/// One message's rows as framed in the intake journal (see `IntakeJournal`).
///
/// Frame, little-endian: `u32 body length, u32 CRC-32 of body, body`. Body: `u8 version (1),
/// u8 flags (bit 0: delivery mark follows), [i32 packet id, i64 epoch, i64 content hash],
/// u16 row count`, then per row `i64 table id, i64 descriptor id, i64 received_at,
/// u16 record id length, record id, u32 payload length, payload`. A frame cut short at the end
/// of a file is where a crash interrupted a write; damage in the middle (a flipped byte,
/// garbage) costs only the frames it hits: reading resumes at the next intact frame.
struct JournalRecord: Equatable {
    struct Row: Equatable {
        var tableID: Int64
        var descriptorID: Int64
        var recordID: String
        var receivedAt: Int64
        var payload: [UInt8]
    }

    var rows: [Row]
    var delivery: Delivery?

    static let headerBytes = 8
    static let version: UInt8 = 1
    /// Larger bodies are not frames but garbage (a message is at most 10 MiB, times its tables).
    static let maxBodyBytes = 256 << 20

    /// The complete frame, ready for one write(). Built in place: header first as a
    /// placeholder, patched once the body's length and checksum are known.
    func encoded() -> [UInt8] {
        var frame: [UInt8] = []
        frame.reserveCapacity(rows.reduce(Self.headerBytes + 32) { $0 + 40 + $1.recordID.utf8.count + $1.payload.count })
        frame.appendLE(UInt64(0))
        frame.append(Self.version)
        frame.append(delivery == nil ? 0 : 1)
        if let delivery {
            frame.appendLE(UInt32(bitPattern: delivery.packetID))
            frame.appendLE(UInt64(bitPattern: delivery.connectionEpoch))
            frame.appendLE(UInt64(bitPattern: delivery.contentHash))
        }
        frame.appendLE(UInt16(rows.count))
        for row in rows {
            frame.appendLE(UInt64(bitPattern: row.tableID))
            frame.appendLE(UInt64(bitPattern: row.descriptorID))
            frame.appendLE(UInt64(bitPattern: row.receivedAt))
            frame.appendLE(UInt16(row.recordID.utf8.count))
            frame.append(contentsOf: row.recordID.utf8)
            frame.appendLE(UInt32(row.payload.count))
            frame.append(contentsOf: row.payload)
        }
        let length = UInt32(frame.count - Self.headerBytes)
        let crc = CRC32.checksum(frame[Self.headerBytes...])
        for index in 0..<4 {
            frame[index] = UInt8(truncatingIfNeeded: length >> (8 * index))
            frame[4 + index] = UInt8(truncatingIfNeeded: crc >> (8 * index))
        }
        return frame
    }

    /// Decodes the frame at `offset`; nil when no complete, intact frame starts there.
    /// Returns the record and the offset just after it.
    static func decode(_ bytes: [UInt8], at offset: Int) -> (JournalRecord, next: Int)? {
        var reader = ByteReader(bytes: bytes, position: offset)
        guard let length = reader.u32().map(Int.init), let crc = reader.u32(),
              length > 0, length <= maxBodyBytes, reader.remaining >= length else { return nil }
        let bodyStart = reader.position
        guard CRC32.checksum(bytes[bodyStart..<(bodyStart + length)]) == crc else { return nil }
        var body = ByteReader(bytes: bytes, position: bodyStart, end: bodyStart + length)
        guard body.u8() == version, let flags = body.u8() else { return nil }
        var record = JournalRecord(rows: [], delivery: nil)
        if flags & 1 != 0 {
            guard let mid = body.u32(), let epoch = body.u64(), let hash = body.u64() else { return nil }
            record.delivery = Delivery(
                packetID: Int32(bitPattern: mid), connectionEpoch: Int64(bitPattern: epoch), contentHash: Int64(bitPattern: hash))
        }
        guard let count = body.u16() else { return nil }
        for _ in 0..<count {
            guard let table = body.u64(), let descriptor = body.u64(), let receivedAt = body.u64(),
                  let idLength = body.u16(), let recordID = body.bytes(Int(idLength)),
                  let payloadLength = body.u32(), let payload = body.bytes(Int(payloadLength)) else { return nil }
            record.rows.append(Row(
                tableID: Int64(bitPattern: table), descriptorID: Int64(bitPattern: descriptor),
                recordID: String(decoding: recordID, as: UTF8.self), receivedAt: Int64(bitPattern: receivedAt),
                payload: payload))
        }
        return (record, bodyStart + length)
    }

    /// What `scan` found in one journal file.
    struct Scan {
        /// Every intact record, in file order, each with the offset just after it.
        var records: [(JournalRecord, end: Int)] = []
        /// Byte ranges between intact records that are not records: damage. Each cost at least
        /// one record, already acknowledged to the broker.
        var damaged: [Range<Int>] = []
        /// Bytes at the end that do not form a whole record: a write cut short by a crash or a
        /// power cut (never acknowledged), or a file truncated by damage.
        var tail: Range<Int>?
    }

    /// Reads every intact record of a journal file from `offset`. Where a frame is damaged, the
    /// scan resynchronises on the next offset at which an intact frame starts (structure first,
    /// which is cheap and rejects almost every wrong offset, then the CRC), so one bad byte
    /// loses one record, not the rest of the file.
    static func scan(_ bytes: [UInt8], from offset: Int) -> Scan {
        var scan = Scan()
        var position = offset
        while position < bytes.count {
            if let (record, next) = decode(bytes, at: position) {
                scan.records.append((record, next))
                position = next
                continue
            }
            var resume = position + 1
            while resume < bytes.count, !isIntactFrame(bytes, at: resume) { resume += 1 }
            if resume >= bytes.count {
                scan.tail = position..<bytes.count
                break
            }
            scan.damaged.append(position..<resume)
            position = resume
        }
        return scan
    }

    /// Every intact record from `offset` (see `scan`).
    static func decodeAll(_ bytes: [UInt8], from offset: Int) -> [(JournalRecord, end: Int)] {
        scan(bytes, from: offset).records
    }

    /// True when a whole frame whose body parses and whose checksum matches starts at `offset`.
    /// Walks the body's lengths without copying, and checks the CRC only for a frame whose
    /// structure ends exactly at its stated length.
    static func isIntactFrame(_ bytes: [UInt8], at offset: Int) -> Bool {
        var reader = ByteReader(bytes: bytes, position: offset)
        guard let length = reader.u32().map(Int.init), let crc = reader.u32(),
              length > 0, length <= maxBodyBytes, reader.remaining >= length else { return false }
        let bodyStart = reader.position
        var body = ByteReader(bytes: bytes, position: bodyStart, end: bodyStart + length)
        guard body.u8() == version, let flags = body.u8(), flags <= 1 else { return false }
        if flags == 1, !body.skip(20) { return false }
        guard let count = body.u16() else { return false }
        for _ in 0..<count {
            guard body.skip(24), let idLength = body.u16(), body.skip(Int(idLength)),
                  let payloadLength = body.u32(), body.skip(Int(payloadLength)) else { return false }
        }
        guard body.remaining == 0 else { return false }
        return CRC32.checksum(bytes[bodyStart..<(bodyStart + length)]) == crc
    }
}

/// CRC-32 (IEEE 802.3, as zlib), table-driven.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        return crc
    }

    static func checksum<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

extension [UInt8] {
    mutating func appendLE<Integer: FixedWidthInteger>(_ value: Integer) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

/// Bounds-checked little-endian reads; every read returns nil past the end.
private struct ByteReader {
    let bytes: [UInt8]
    var position: Int
    var end: Int

    init(bytes: [UInt8], position: Int, end: Int? = nil) {
        self.bytes = bytes
        self.position = position
        self.end = end ?? bytes.count
    }

    var remaining: Int { end - position }

    /// Moves past `count` bytes without reading them; false past the end.
    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, remaining >= count else { return false }
        position += count
        return true
    }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, remaining >= count else { return nil }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    private mutating func integer<Integer: FixedWidthInteger>(_: Integer.Type) -> Integer? {
        let size = MemoryLayout<Integer>.size
        guard remaining >= size else { return nil }
        var value: Integer = 0
        for index in 0..<size { value |= Integer(bytes[position + index]) << (8 * index) }
        position += size
        return value
    }

    mutating func u8() -> UInt8? { integer(UInt8.self) }
    mutating func u16() -> UInt16? { integer(UInt16.self) }
    mutating func u32() -> UInt32? { integer(UInt32.self) }
    mutating func u64() -> UInt64? { integer(UInt64.self) }
}
