#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EdgeSupport

/// The intake journal's files: `<ring path>.journal-<generation>`, append-only, one per
/// generation. A file is never truncated or rewritten: the writer moves on to a new generation
/// and the old file is deleted once everything in it is in SQLite, so no reader or crash can
/// see a file shrink under it.
enum JournalFiles {
    static func path(ring: String, generation: Int64) -> String { "\(ring).journal-\(generation)" }

    /// The largest generation the writer uses: one per rotation (every few hundred KiB), so
    /// never reached; a file named beyond it was not written by this agent.
    static let maxGeneration: Int64 = 1 << 52

    /// Generations present beside `ring`, ascending, and the names of files that look like
    /// journal files but carry no generation the writer could have made (out of range, signs,
    /// leading zeros): those are left alone, so a stray name can neither crash start-up nor
    /// be replayed.
    static func generations(ring: String) -> (generations: [Int64], ignored: [String]) {
        let slash = ring.lastIndex(of: "/")
        let directory = slash.map { String(ring[..<$0]) } ?? "."
        let prefix = String(slash.map { ring[ring.index(after: $0)...] } ?? ring[...]) + ".journal-"
        guard let handle = opendir(directory.isEmpty ? "/" : directory) else { return ([], []) }
        defer { closedir(handle) }
        var found: [Int64] = [], ignored: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix(prefix) else { continue }
            let suffix = name.dropFirst(prefix.count)
            if let generation = Int64(suffix), (1...maxGeneration).contains(generation), String(generation) == suffix {
                found.append(generation)
            } else {
                ignored.append(name)
            }
        }
        return (found.sorted(), ignored.sorted())
    }

    /// Renames a damaged journal file to `<ring>.corrupt-journal-<generation>-<unix time>`
    /// (beside `<ring>.corrupt-<time>`, and not matched by `generations`). Returns the new path,
    /// or nil when the rename failed (the caller then removes the file as usual).
    static func moveAside(_ path: String, ring: String, generation: Int64) -> String? {
        let target = "\(ring).corrupt-journal-\(generation)-\(ReadingRing.now() / 1_000_000)"
        guard access(target, F_OK) != 0, rename(path, target) == 0 else { return nil }
        syncDirectory(of: ring)
        return target
    }

    /// The whole file (journal files are small: the drainer empties them within milliseconds).
    static func contents(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return [] }
            throw failure("cannot open \(path)")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw failure("cannot read \(path)") }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
    }

    /// Creates a new, empty journal file (mode 0600) for appending; fails if it exists.
    static func create(_ path: String, durable: Bool) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("cannot create \(path)") }
        // With sync = full the new directory entry must survive a power cut too.
        if durable { syncDirectory(of: path) }
        return fd
    }

    /// Appends `bytes` with one write() (looping only on a short write). On failure the file is
    /// cut back to `offset`, so a later record never follows a partial one.
    static func append(_ bytes: [UInt8], fd: Int32, at offset: Int64, durable: Bool) throws {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                let error = failure("cannot write the intake journal")
                _ = ftruncate(fd, off_t(offset))
                throw error
            }
            written += count
        }
        if durable, fdatasync(fd) != 0 {
            // Not durable, so not accepted: the caller keeps the rows and the file loses them.
            let error = failure("cannot fdatasync the intake journal")
            _ = ftruncate(fd, off_t(offset))
            throw error
        }
    }

    static func remove(_ path: String) {
        _ = unlink(path)
    }

    /// fsyncs the directory holding `path`, so a new or renamed entry survives a power cut.
    static func syncDirectory(of path: String) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    private static func failure(_ what: String) -> RingError {
        .fileSystem("\(what): \(ErrnoText.describe())")
    }
}

/// `close(2)` under a name that does not clash with `IntakeJournal.close()`.
func closeFile(_ fd: Int32) -> Int32 {
    fd >= 0 ? close(fd) : 0
}
