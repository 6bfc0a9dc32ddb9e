#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SQLite
import EdgeSupport

/// Opening the ring's SQLite file: permissions, pragmas, integrity check, schema, and moving a
/// corrupt file aside. Everything here runs once per `ReadingRing.open`.
enum RingDatabase {
    /// Format of the tables below; stored in `PRAGMA user_version`. 2 added
    /// `sparkplug_aliases` (`ReadingRing+Sparkplug`) and `outages` (`ReadingRing+Outages`); a
    /// format-1 file gains them when opened.
    static let schemaVersion = 2

    /// `rows` holds no table name, only `table_id` into `tables`: a name per row (and again in
    /// the index) would cost ~15 % of a 200-byte reading. The index on `rows(table_id)` is
    /// ordered by (table_id, id), which is what `pending` and `removeRange` walk.
    static let schema = """
        CREATE TABLE IF NOT EXISTS tables(
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE);
        CREATE TABLE IF NOT EXISTS descriptors(
            id INTEGER PRIMARY KEY,
            table_id INTEGER NOT NULL REFERENCES tables(id),
            hash INTEGER NOT NULL,
            bytes BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS descriptors_by_hash ON descriptors(table_id, hash);
        CREATE TABLE IF NOT EXISTS rows(
            id INTEGER PRIMARY KEY,
            table_id INTEGER NOT NULL,
            descriptor_id INTEGER NOT NULL,
            record_id TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            payload BLOB NOT NULL);
        CREATE INDEX IF NOT EXISTS rows_by_table ON rows(table_id);
        CREATE TABLE IF NOT EXISTS quarantine(
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('unmappable', 'rejected')),
            table_name TEXT NOT NULL,
            topic TEXT,
            reason TEXT NOT NULL,
            received_at INTEGER NOT NULL,
            quarantined_at INTEGER NOT NULL,
            payload BLOB NOT NULL,
            record_id TEXT,
            descriptor_id INTEGER);
        CREATE TABLE IF NOT EXISTS deliveries(
            mid INTEGER PRIMARY KEY,
            epoch INTEGER NOT NULL,
            hash INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS journal_applied(
            id INTEGER PRIMARY KEY CHECK (id = 1),
            generation INTEGER NOT NULL,
            offset INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS meta(
            id INTEGER PRIMARY KEY CHECK (id = 1),
            next_row_id INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS requests(
            id INTEGER PRIMARY KEY,
            command TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'taken', 'done')),
            result TEXT);
        CREATE TABLE IF NOT EXISTS counters(
            table_name TEXT NOT NULL,
            name TEXT NOT NULL,
            value INTEGER NOT NULL,
            PRIMARY KEY (table_name, name)) WITHOUT ROWID;
        """

    /// Thrown when the file opens but is not a sound ring; the caller moves it aside.
    struct Unusable: Error {
        var reason: String
    }

    /// Opens `configuration.path`, checks it, applies pragmas and schema.
    /// Throws `Unusable` for corrupt or foreign files, other errors for everything else
    /// (permissions, disk full, I/O), which must not cause the file to be moved.
    static func open(_ configuration: RingConfiguration) throws -> SQLiteConnection {
        try createFileIfMissing(configuration.path)
        try checkIntegrity(configuration.path)
        let db = try SQLiteConnection(path: configuration.path, flags: [.readWrite, .noMutex, .noFollow])
        try db.pragma("busy_timeout", "5000")
        let version = Int(try db.pragma("user_version") ?? "0") ?? 0
        if version > schemaVersion {
            throw RingError.incompatibleFile(
                "\(configuration.path) has ring format \(version), newer than this version understands (\(schemaVersion))")
        }
        try applyPragmas(db, configuration)
        try db.transaction {
            try db.execute(schema)
            try db.execute(sparkplugAliasesSchema)
            try db.execute(outagesSchema)
            try db.execute(sentRangesSchema)
            try db.execute(clockNotesSchema)
        }
        try db.pragma("user_version", String(schemaVersion))
        if try db.pragma("auto_vacuum") != "2" {
            // A file created without incremental auto-vacuum (e.g. by hand with sqlite3): the
            // setting only takes effect through a full VACUUM, which we pay once here.
            try db.pragma("auto_vacuum", "INCREMENTAL")
            try db.execute("VACUUM")
        }
        return db
    }

    /// `PRAGMA quick_check` on a read-only connection. Read-only so that closing it can neither
    /// checkpoint a WAL into a damaged file nor delete the WAL: a bad file and its WAL are
    /// moved aside exactly as found.
    private static func checkIntegrity(_ path: String) throws {
        do {
            let db = try SQLiteConnection(path: path, flags: [.readOnly, .noMutex, .noFollow])
            try db.pragma("busy_timeout", "5000")
            let check = try db.pragma("quick_check") ?? "no result"
            guard check == "ok" else { throw Unusable(reason: "quick_check: \(check)") }
        } catch let error as SQLiteError where error.code ~= .notADatabase || error.code ~= .corrupt {
            throw Unusable(reason: error.message)
        }
    }

    /// Pragmas are set explicitly because Debian's build changes several defaults
    /// (secure_delete on, synchronous FULL).
    private static func applyPragmas(_ db: SQLiteConnection, _ configuration: RingConfiguration) throws {
        // Must precede the first CREATE TABLE; on an existing file it is a no-op (see open()).
        try db.pragma("auto_vacuum", "INCREMENTAL")
        let mode = try db.pragma("journal_mode", "WAL")
        guard mode?.lowercased() == "wal" else {
            throw RingError.incompatibleFile("\(configuration.path): WAL mode unavailable (journal_mode is \(mode ?? "?"))")
        }
        try db.pragma("synchronous", configuration.sync.rawValue)
        // secure_delete would zero every deleted row and free page, doubling the writes of every
        // ack and trim (flash wear, WAL growth). Deleted readings need no scrubbing: the file is
        // 0600, and the same data is in the cloud table; disk use is bounded by size instead.
        try db.pragma("secure_delete", "OFF")
        let pageSize = Int64(try db.pragma("page_size") ?? "4096") ?? 4096
        let walPages = max(configuration.walBudgetBytes / pageSize, 16)
        try db.pragma("wal_autocheckpoint", String(walPages))
        try db.pragma("journal_size_limit", String(configuration.walBudgetBytes))
        try db.pragma("temp_store", "MEMORY")
    }

    /// Creates the file with mode 0600 so SQLite never creates it with its default 0644;
    /// SQLite gives `-wal` and `-shm` the mode of the database file.
    private static func createFileIfMissing(_ path: String) throws {
        guard createPrivateFile(path) else {
            throw RingError.fileSystem("cannot create \(path): \(ErrnoText.describe())")
        }
    }

    /// Renames the database and its `-wal`/`-shm` to `<path>.corrupt-<unix time>[…]` and returns
    /// the new database path. The WAL is kept beside it under the matching name, so the set can
    /// still be opened with the sqlite3 shell for salvage.
    static func moveAside(_ path: String, now: Int64, withJournals: Bool) throws -> String {
        var target = "\(path).corrupt-\(now / 1_000_000)"
        var attempt = 1
        while access(target, F_OK) == 0 {
            attempt += 1
            target = "\(path).corrupt-\(now / 1_000_000)-\(attempt)"
        }
        // Journal records name table and descriptor ids of this file: they go aside with it,
        // unless a salvaged copy with the same ids takes its place.
        let journals = withJournals ? JournalFiles.generations(ring: path).generations.map { ".journal-\($0)" } : []
        for suffix in journals + ["-wal", "-shm", ""] where access(path + suffix, F_OK) == 0 {
            guard rename(path + suffix, target + suffix) == 0 else {
                throw RingError.fileSystem("cannot move \(path + suffix) aside: \(ErrnoText.describe())")
            }
        }
        return target
    }

    static func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func renameFile(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else {
            throw RingError.fileSystem("cannot rename \(from) to \(to): \(ErrnoText.describe())")
        }
    }

    /// Size of a file in bytes, 0 when it does not exist.
    static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    /// Microseconds since the Unix epoch, from the wall clock.
    static func nowMicros() -> Int64 {
        SystemClocks.wallMicros()
    }
}

/// Outside `RingDatabase` so that `open` means the C function, not `RingDatabase.open`.
private func createPrivateFile(_ path: String) -> Bool {
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return false }
    close(fd)
    return true
}
