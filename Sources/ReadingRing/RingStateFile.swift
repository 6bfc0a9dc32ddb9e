#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `<ring>.state`: what the owning process last knew of the ring, outside the ring's own file,
/// so that a start-up can tell when it finds less than the previous run left behind.
///
/// Why outside SQLite: the losses it catches take the database's own records with them. A
/// deleted or garbled WAL rolls the file back to its last checkpoint, counters included; a
/// zero-length `buffer.db` is a valid, empty database. Only a record kept elsewhere shows the
/// difference. The high-water mark of row ids (also kept in the `meta` table) is what
/// compares: ids only grow, so a ring whose high-water mark is below the recorded one has lost
/// the rows between, whatever was acked meanwhile. After a clean stop the row count compares
/// exactly, too.
///
/// Text, one `key value` per line, replaced atomically (write + rename). Written at most every
/// few seconds while rows arrive, and at a clean stop; a record a few seconds old only narrows
/// what can be detected, it never raises a false alarm.
struct RingStateFile: Equatable {
    var nextRowID: Int64
    var rows: Int
    /// Written by a clean stop: `rows` is exact, and the journal was empty.
    var clean: Bool

    static func path(ring: String) -> String { ring + ".state" }

    static func read(ring: String) -> RingStateFile? {
        let fd = open(path(ring: ring), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { readBytes(fd, $0) }
        guard count > 0 else { return nil }
        var values: [String: Int64] = [:]
        for line in String(decoding: buffer[..<count], as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Int64(parts[1]) { values[String(parts[0])] = value }
        }
        guard let next = values["next_row_id"], let rows = values["rows"], next > 0, rows >= 0 else { return nil }
        return RingStateFile(nextRowID: next, rows: Int(rows), clean: values["clean"] == 1)
    }

    /// Replaces the file; failures are ignored (the record is a diagnostic, not data).
    func write(ring: String) {
        let target = Self.path(ring: ring), temporary = target + ".tmp"
        let text = Array("next_row_id \(nextRowID)\nrows \(rows)\nclean \(clean ? 1 : 0)\n".utf8)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let written = text.withUnsafeBytes { writeBytes(fd, $0) }
        if clean { _ = fsync(fd) }
        close(fd)
        if written == text.count { _ = rename(temporary, target) } else { _ = unlink(temporary) }
    }

    /// What a start-up found missing compared with this record, or nil when nothing is.
    /// `nextRowID` and `rows` are the ring's after the journal was replayed.
    func missing(nextRowID found: Int64, rows foundRows: Int) -> OpenReport.Missing? {
        if found < nextRowID {
            return .init(rows: Int(nextRowID - found), exact: false,
                         detail: "row ids \(found) to \(nextRowID - 1) were written by the previous run but are not in the buffer (the database lost its newest transactions: a deleted, damaged or truncated file or WAL); up to \(nextRowID - found) rows, less any that had been delivered")
        }
        if clean, foundRows < rows {
            return .init(rows: rows - foundRows, exact: true,
                         detail: "the previous run stopped cleanly with \(rows) rows buffered; \(foundRows) are here")
        }
        return nil
    }
}

/// `read(2)` and `write(2)` under names that do not clash with `RingStateFile.read/write`.
private func readBytes(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
    read(fd, buffer.baseAddress, buffer.count)
}

private func writeBytes(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int {
    write(fd, buffer.baseAddress, buffer.count)
}
