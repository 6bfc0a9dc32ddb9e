import CSQLite

/// One open SQLite database connection.
///
/// **Not `Sendable`, on purpose.** A connection (and every statement prepared on it) must be
/// used by one thread at a time. The owner confines it, typically behind a `Mutex`, and may then
/// hand it from thread to thread: Debian builds SQLite with `SQLITE_THREADSAFE=1`, so a
/// connection opened with `.noMutex` ("multi-thread" mode) is safe as long as no two threads use
/// it at the same moment. The type system enforces the confinement because the class is not
/// `Sendable`.
///
/// The connection is closed by `close()` or, at the latest, in `deinit`. It is closed with
/// `sqlite3_close_v2`, so statements still alive keep a "zombie" handle valid until they are
/// finalized; statements also hold a strong reference to their connection.
public final class SQLiteConnection {
    /// Flags for `sqlite3_open_v2`.
    public struct OpenFlags: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let readOnly = OpenFlags(rawValue: SQLITE_OPEN_READONLY)
        public static let readWrite = OpenFlags(rawValue: SQLITE_OPEN_READWRITE)
        public static let create = OpenFlags(rawValue: SQLITE_OPEN_CREATE)
        /// Multi-thread mode: no per-connection mutex; the caller confines the connection.
        public static let noMutex = OpenFlags(rawValue: SQLITE_OPEN_NOMUTEX)
        public static let fullMutex = OpenFlags(rawValue: SQLITE_OPEN_FULLMUTEX)
        /// Refuse to open the database through a symbolic link.
        public static let noFollow = OpenFlags(rawValue: SQLITE_OPEN_NOFOLLOW)
        /// Filenames (here and in ATTACH) may be `file:` URIs, e.g. `file:/path?mode=ro`.
        public static let uri = OpenFlags(rawValue: SQLITE_OPEN_URI)
    }

    /// The kind of `BEGIN` for `transaction(_:_:)`.
    public enum TransactionKind: String, Sendable {
        case deferred = "BEGIN DEFERRED"
        case immediate = "BEGIN IMMEDIATE"
        case exclusive = "BEGIN EXCLUSIVE"
    }

    /// The path the connection was opened with.
    public let path: String
    private(set) var handle: OpaquePointer?

    /// Opens (and with `.create`, creates) the database at `path`. Extended result codes are on.
    public init(path: String, flags: OpenFlags = [.readWrite, .create]) throws(SQLiteError) {
        self.path = path
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags.rawValue, nil)
        guard rc == SQLITE_OK, let db else {
            // A handle is usually returned even on failure; it carries the message and must be closed.
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw SQLiteError(code: SQLiteResultCode(rawValue: rc), message: message, sql: nil)
        }
        sqlite3_extended_result_codes(db, 1)
        handle = db
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Closes the connection now. Later calls fail with `SQLITE_MISUSE`. Closing twice is harmless.
    public func close() throws(SQLiteError) {
        guard let db = handle else { return }
        handle = nil
        let rc = sqlite3_close_v2(db)
        if rc != SQLITE_OK {
            throw SQLiteError(code: SQLiteResultCode(rawValue: rc), message: String(cString: sqlite3_errstr(rc)))
        }
    }

    /// The single place where SQLite return codes become Swift errors. `OK`, `ROW` and `DONE` pass.
    @discardableResult
    func check(_ rc: Int32, sql: String?) throws(SQLiteError) -> Int32 {
        switch rc {
        case SQLITE_OK, SQLITE_ROW, SQLITE_DONE:
            return rc
        default:
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            throw SQLiteError(code: SQLiteResultCode(rawValue: rc), message: message, sql: sql)
        }
    }

    func openHandle(sql: String?) throws(SQLiteError) -> OpaquePointer {
        guard let handle else {
            throw SQLiteError(code: .misuse, message: "the connection is closed", sql: sql)
        }
        return handle
    }

    /// Runs one or more SQL statements that return no rows needed by the caller.
    public func execute(_ sql: String) throws(SQLiteError) {
        let db = try openHandle(sql: sql)
        try check(sqlite3_exec(db, sql, nil, nil, nil), sql: sql)
    }

    /// Prepares one statement. `persistent` tells SQLite the statement will be reused many times
    /// (`SQLITE_PREPARE_PERSISTENT`), so it allocates from the heap rather than the lookaside.
    public func prepare(_ sql: String, persistent: Bool = false) throws(SQLiteError) -> SQLiteStatement {
        let db = try openHandle(sql: sql)
        var statement: OpaquePointer?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        try check(sqlite3_prepare_v3(db, sql, -1, flags, &statement, nil), sql: sql)
        guard let statement else {
            throw SQLiteError(code: .misuse, message: "no statement in SQL text", sql: sql)
        }
        return SQLiteStatement(handle: statement, connection: self, sql: sql)
    }

    /// Runs `PRAGMA name` or `PRAGMA name = value` and returns the first column of the first row
    /// as text (most pragmas echo the value now in effect), or nil when the pragma returns no row.
    /// `name` and `value` are SQL text, not bound parameters: pass only trusted constants.
    @discardableResult
    public func pragma(_ name: String, _ value: String? = nil) throws(SQLiteError) -> String? {
        let sql = value.map { "PRAGMA \(name) = \($0)" } ?? "PRAGMA \(name)"
        let statement = try prepare(sql)
        guard try statement.step() == .row else { return nil }
        return statement.isNull(0) ? nil : statement.string(0)
    }

    /// Runs `body` inside `BEGIN … COMMIT`; rolls back if `body` throws, and rethrows.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        try execute(kind.rawValue)
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            rollbackIfNeeded()
            throw error
        }
    }

    /// Rolls back the open transaction, if any. Errors are ignored: after a failed COMMIT or a
    /// statement error SQLite may already have rolled back on its own.
    public func rollbackIfNeeded() {
        guard let db = handle, sqlite3_get_autocommit(db) == 0 else { return }
        sqlite3_exec(db, "ROLLBACK", nil, nil, nil)
    }

    /// True when no transaction is open.
    public var isAutocommit: Bool { handle.map { sqlite3_get_autocommit($0) != 0 } ?? true }

    /// The rowid of the most recent successful INSERT on this connection.
    public var lastInsertRowID: Int64 { handle.map { sqlite3_last_insert_rowid($0) } ?? 0 }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE.
    public var changes: Int { handle.map { Int(sqlite3_changes64($0)) } ?? 0 }

    /// The SQLite library version, e.g. "3.40.1".
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }
}
