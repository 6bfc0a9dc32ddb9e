/// An error reported by SQLite: the (extended) result code, SQLite's own message for it, and the
/// SQL that was running, if any. Produced only by `SQLiteConnection.check(_:sql:)`.
///
/// The SQL text is ours (never user data: values are always bound), so it is safe to log.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public let code: SQLiteResultCode
    public let message: String
    public let sql: String?

    public init(code: SQLiteResultCode, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql { text += " — while running: \(sql)" }
        return text
    }
}
