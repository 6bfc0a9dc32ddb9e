/// A SQLite result code, primary or extended.
///
/// Modelled as an open `RawRepresentable` struct rather than a closed enum: SQLite adds extended
/// codes between releases, and a closed enum would either lie or need a catch-all case.
/// A primary code matches all of its extended codes, so `case .busy` also catches
/// `SQLITE_BUSY_SNAPSHOT`. `~=` is symmetric, so either operand order reads correctly:
///
/// ```swift
/// catch let error as SQLiteError where error.code ~= .corrupt { … }
/// ```
public struct SQLiteResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The primary code (the low 8 bits); equal to `self` for primary codes.
    public var primary: SQLiteResultCode { SQLiteResultCode(rawValue: rawValue & 0xFF) }

    /// True when the codes are equal, or one is a primary code and the other extends it.
    public static func ~= (lhs: SQLiteResultCode, rhs: SQLiteResultCode) -> Bool {
        lhs == rhs || (lhs.primary == rhs.primary && (lhs.primary == lhs || rhs.primary == rhs))
    }

    public var description: String {
        let name = Self.names[rawValue] ?? Self.names[primary.rawValue].map { "\($0)(extended)" } ?? "SQLITE_?"
        return "\(name) (\(rawValue))"
    }

    public static let ok = SQLiteResultCode(rawValue: 0)
    public static let error = SQLiteResultCode(rawValue: 1)
    public static let `internal` = SQLiteResultCode(rawValue: 2)
    public static let permission = SQLiteResultCode(rawValue: 3)
    public static let abort = SQLiteResultCode(rawValue: 4)
    public static let busy = SQLiteResultCode(rawValue: 5)
    public static let locked = SQLiteResultCode(rawValue: 6)
    public static let noMemory = SQLiteResultCode(rawValue: 7)
    public static let readOnly = SQLiteResultCode(rawValue: 8)
    public static let interrupt = SQLiteResultCode(rawValue: 9)
    public static let ioError = SQLiteResultCode(rawValue: 10)
    public static let corrupt = SQLiteResultCode(rawValue: 11)
    public static let notFound = SQLiteResultCode(rawValue: 12)
    public static let full = SQLiteResultCode(rawValue: 13)
    public static let cannotOpen = SQLiteResultCode(rawValue: 14)
    public static let `protocol` = SQLiteResultCode(rawValue: 15)
    public static let empty = SQLiteResultCode(rawValue: 16)
    public static let schema = SQLiteResultCode(rawValue: 17)
    public static let tooBig = SQLiteResultCode(rawValue: 18)
    public static let constraint = SQLiteResultCode(rawValue: 19)
    public static let mismatch = SQLiteResultCode(rawValue: 20)
    public static let misuse = SQLiteResultCode(rawValue: 21)
    public static let noLFS = SQLiteResultCode(rawValue: 22)
    public static let authorization = SQLiteResultCode(rawValue: 23)
    public static let format = SQLiteResultCode(rawValue: 24)
    public static let range = SQLiteResultCode(rawValue: 25)
    public static let notADatabase = SQLiteResultCode(rawValue: 26)
    public static let notice = SQLiteResultCode(rawValue: 27)
    public static let warning = SQLiteResultCode(rawValue: 28)
    public static let row = SQLiteResultCode(rawValue: 100)
    public static let done = SQLiteResultCode(rawValue: 101)

    private static let names: [Int32: String] = [
        0: "SQLITE_OK", 1: "SQLITE_ERROR", 2: "SQLITE_INTERNAL", 3: "SQLITE_PERM", 4: "SQLITE_ABORT",
        5: "SQLITE_BUSY", 6: "SQLITE_LOCKED", 7: "SQLITE_NOMEM", 8: "SQLITE_READONLY", 9: "SQLITE_INTERRUPT",
        10: "SQLITE_IOERR", 11: "SQLITE_CORRUPT", 12: "SQLITE_NOTFOUND", 13: "SQLITE_FULL",
        14: "SQLITE_CANTOPEN", 15: "SQLITE_PROTOCOL", 16: "SQLITE_EMPTY", 17: "SQLITE_SCHEMA",
        18: "SQLITE_TOOBIG", 19: "SQLITE_CONSTRAINT", 20: "SQLITE_MISMATCH", 21: "SQLITE_MISUSE",
        22: "SQLITE_NOLFS", 23: "SQLITE_AUTH", 24: "SQLITE_FORMAT", 25: "SQLITE_RANGE", 26: "SQLITE_NOTADB",
        27: "SQLITE_NOTICE", 28: "SQLITE_WARNING", 100: "SQLITE_ROW", 101: "SQLITE_DONE",
    ]
}
