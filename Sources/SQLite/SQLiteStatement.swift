import CSQLite

/// `SQLITE_TRANSIENT` is a function-pointer-cast macro that Swift cannot import: SQLite copies
/// the bound bytes before the bind call returns.
private let transientDestructor = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement. Not `Sendable`: confined with its connection (see `SQLiteConnection`).
/// Parameter and column indexes follow SQLite: parameters start at 1, columns at 0.
public final class SQLiteStatement {
    /// What one `step()` produced.
    public enum StepResult: Sendable, Equatable {
        case row
        case done
    }

    public let sql: String
    private let handle: OpaquePointer
    /// Keeps the connection alive as long as the statement exists.
    private let connection: SQLiteConnection

    init(handle: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    // MARK: Binding

    public func bind(_ value: Int64, at index: Int32) throws(SQLiteError) {
        try connection.check(sqlite3_bind_int64(handle, index, value), sql: sql)
    }

    public func bind(_ value: Int, at index: Int32) throws(SQLiteError) {
        try bind(Int64(value), at: index)
    }

    public func bind(_ value: Double, at index: Int32) throws(SQLiteError) {
        try connection.check(sqlite3_bind_double(handle, index, value), sql: sql)
    }

    public func bind(_ value: String, at index: Int32) throws(SQLiteError) {
        var text = value
        let rc = text.withUTF8 { utf8 -> Int32 in
            // An empty buffer may have no base address; bind "" explicitly so it is not NULL.
            guard let base = utf8.baseAddress, utf8.count > 0 else {
                return sqlite3_bind_text(handle, index, "", 0, transientDestructor)
            }
            return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                sqlite3_bind_text(handle, index, $0, Int32(utf8.count), transientDestructor)
            }
        }
        try connection.check(rc, sql: sql)
    }

    /// Binds a BLOB. An empty array binds a zero-length BLOB, not NULL.
    public func bind(_ value: [UInt8], at index: Int32) throws(SQLiteError) {
        let rc = value.withUnsafeBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, bytes.count > 0 else {
                return sqlite3_bind_zeroblob(handle, index, 0)
            }
            return sqlite3_bind_blob(handle, index, base, Int32(bytes.count), transientDestructor)
        }
        try connection.check(rc, sql: sql)
    }

    public func bindNull(at index: Int32) throws(SQLiteError) {
        try connection.check(sqlite3_bind_null(handle, index), sql: sql)
    }

    /// Binds `value`, or NULL when it is nil.
    public func bind(_ value: String?, at index: Int32) throws(SQLiteError) {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    /// Binds `value`, or NULL when it is nil.
    public func bind(_ value: Int64?, at index: Int32) throws(SQLiteError) {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    // MARK: Running

    /// Runs the statement to its next row, or to completion.
    @discardableResult
    public func step() throws(SQLiteError) -> StepResult {
        try connection.check(sqlite3_step(handle), sql: sql) == SQLITE_ROW ? .row : .done
    }

    /// Makes the statement ready to run again. Bindings are kept. The result code of the previous
    /// run, which `sqlite3_reset` repeats, was already reported by `step()`, so it is not rethrown.
    public func reset() {
        sqlite3_reset(handle)
    }

    /// Runs `body` on a freshly reset statement and resets it again afterwards, so that a
    /// half-read SELECT never keeps its read transaction (which would block checkpoints).
    public func withReset<T>(_ body: (SQLiteStatement) throws -> T) rethrows -> T {
        sqlite3_reset(handle)
        defer { sqlite3_reset(handle) }
        return try body(self)
    }

    /// Runs a statement that returns no rows (or whose rows are not needed) to completion, then resets it.
    public func run() throws(SQLiteError) {
        sqlite3_reset(handle)
        defer { sqlite3_reset(handle) }
        while try step() == .row {}
    }

    /// Sets all parameters back to NULL.
    public func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    // MARK: Columns of the current row

    public var columnCount: Int32 { sqlite3_column_count(handle) }

    public func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    public func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    public func double(_ column: Int32) -> Double {
        sqlite3_column_double(handle, column)
    }

    /// The column as UTF-8 text ("" for NULL).
    public func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The column as text, or nil when it is NULL.
    public func optionalString(_ column: Int32) -> String? {
        isNull(column) ? nil : string(column)
    }

    /// The column as bytes ([] for NULL or an empty BLOB).
    public func bytes(_ column: Int32) -> [UInt8] {
        guard let blob = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeRawBufferPointer(start: blob, count: count))
    }
}
