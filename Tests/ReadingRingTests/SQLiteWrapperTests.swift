import SQLite
import Testing

@Suite struct SQLiteWrapperTests {
    @Test func bindAndReadEveryType() throws {
        let db = try SQLiteConnection(path: ":memory:")
        try db.execute("CREATE TABLE t(i INTEGER, d REAL, s TEXT, b BLOB, n)")
        let insert = try db.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)", persistent: true)
        try insert.bind(Int64.min, at: 1)
        try insert.bind(2.5, at: 2)
        try insert.bind("grüße\u{0}tail", at: 3)
        try insert.bind([0, 1, 255], at: 4)
        try insert.bindNull(at: 5)
        #expect(try insert.step() == .done)
        #expect(db.changes == 1)
        #expect(db.lastInsertRowID == 1)
        insert.reset()
        try insert.bind("", at: 3)
        try insert.bind([UInt8](), at: 4)
        try insert.step()

        let select = try db.prepare("SELECT i, d, s, b, n, typeof(b), typeof(s) FROM t ORDER BY rowid")
        #expect(try select.step() == .row)
        #expect(select.int64(0) == Int64.min)
        #expect(select.double(1) == 2.5)
        #expect(select.string(2) == "grüße\u{0}tail")
        #expect(select.bytes(3) == [0, 1, 255])
        #expect(select.isNull(4))
        #expect(try select.step() == .row)
        // Empty values stay empty values, not NULL.
        #expect(select.string(5) == "blob")
        #expect(select.string(6) == "text")
        #expect(try select.step() == .done)
    }

    @Test func errorsCarryCodeMessageAndSQL() throws {
        let db = try SQLiteConnection(path: ":memory:")
        try db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY)")
        try db.execute("INSERT INTO t VALUES (1)")
        let insert = try db.prepare("INSERT INTO t VALUES (1)")
        do {
            try insert.step()
            Issue.record("expected a constraint error")
        } catch {
            #expect(error.code ~= .constraint)
            #expect(.constraint ~= error.code)
            #expect(!(error.code ~= .busy))
            #expect(error.code != .constraint && error.code.primary == .constraint)  // SQLITE_CONSTRAINT_PRIMARYKEY
            #expect(error.message.contains("UNIQUE"))
            #expect(error.sql == "INSERT INTO t VALUES (1)")
        }
        #expect(throws: SQLiteError.self) { try db.prepare("SELEKT 1") }
    }

    @Test func transactionRollsBackWhenBodyThrows() throws {
        struct Boom: Error {}
        let db = try SQLiteConnection(path: ":memory:")
        try db.execute("CREATE TABLE t(x)")
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(db.isAutocommit)
        #expect(try db.pragma("user_version") == "0")
        let count = try db.prepare("SELECT count(*) FROM t")
        try count.step()
        #expect(count.int64(0) == 0)
    }

    @Test func closedConnectionReportsMisuse() throws {
        let db = try SQLiteConnection(path: ":memory:")
        try db.close()
        do {
            try db.execute("SELECT 1")
            Issue.record("expected misuse")
        } catch {
            #expect(error.code == .misuse)
        }
    }

    @Test func openFailureNamesTheProblem() throws {
        do {
            _ = try SQLiteConnection(path: "/nonexistent-dir/x.db", flags: [.readWrite, .create])
            Issue.record("expected cannot-open")
        } catch {
            #expect(error.code ~= .cannotOpen)
        }
    }
}
