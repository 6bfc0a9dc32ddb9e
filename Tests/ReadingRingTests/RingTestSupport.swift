import Foundation
import ReadingRing

/// A fresh directory under the system temp dir, removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("ring-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    var ringPath: String { path + "/buffer.db" }

    func configuration(
        maxBytes: Int64 = 64 << 20, maxAge: Duration = .seconds(3600), onFull: RingConfiguration.WhenFull = .dropOldest
    ) -> RingConfiguration {
        RingConfiguration(path: ringPath, maxBytes: maxBytes, maxAge: maxAge, onFull: onFull, sync: .normal)
    }
}

/// Size of a file as `stat` reports it; 0 when missing.
func fileSize(_ path: String) -> Int64 {
    var info = stat()
    return stat(path, &info) == 0 ? Int64(info.st_size) : 0
}

/// Database + WAL on disk.
func ringBytesOnDisk(_ path: String) -> Int64 {
    fileSize(path) + fileSize(path + "-wal")
}

/// A payload whose bytes encode `n`, so tests can tell rows apart by content.
func payload(_ n: Int, size: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: n &* 31), count: size)
    withUnsafeBytes(of: Int64(n).littleEndian) { raw in
        for (index, byte) in raw.enumerated() where index < size { bytes[index] = byte }
    }
    return bytes
}

/// Fixed fake descriptor bytes; the ring treats them as opaque.
func descriptorBytes(_ version: Int) -> [UInt8] {
    Array("descriptor-v\(version)".utf8)
}

/// Receive times of test rows start here: "now" when the tests started, so rows are fresh.
let testEpoch = ReadingRing.now()

func row(_ n: Int, table: String, descriptor: Int64, size: Int = 200, receivedAt: Int64 = testEpoch) -> NewRow {
    NewRow(table: table, descriptorID: descriptor, recordID: "rec-\(n)", receivedAt: receivedAt + Int64(n),
           payload: payload(n, size: size))
}

/// Drains every pending row of `table` and returns their record ids, without removing them.
func allPending(_ ring: ReadingRing, table: String) throws -> [StoredRow] {
    var rows: [StoredRow] = []
    var cursor: Int64 = 0
    while true {
        let batch = try ring.pending(table: table, after: cursor, maxRecords: 10_000, maxBytes: 1 << 30)
        guard let last = batch.last else { return rows }
        rows += batch
        cursor = last.id
    }
}

struct RingWasFull: Error {}

/// Appends and requires that the rows were stored; returns their ids.
@discardableResult
func mustStore(_ ring: ReadingRing, _ rows: [NewRow]) throws -> Range<Int64> {
    guard case .stored(let ids, _) = try ring.append(rows) else { throw RingWasFull() }
    return ids
}
