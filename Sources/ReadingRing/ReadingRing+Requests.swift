import SQLite

/// Commands for the process that owns the ring, handed over through the ring file itself.
///
/// The daemon's `RingStore` mirrors counts and the next row id in memory and assumes it is the
/// only writer, so `quarantine retry|purge` must not write rows from another process while the
/// daemon runs (its rows would get ids behind the uplink's cursor, or collide with the daemon's
/// next ids). The CLI submits a request instead; the daemon executes it on its own connection
/// and stores the result, which the CLI reads back.
extension ReadingRing {
    public struct Request: Sendable, Equatable {
        public var id: Int64
        public var command: String
    }

    /// Queues `command`; returns the request id.
    public func submitRequest(_ command: String) throws -> Int64 {
        try withStore { store in
            try store.write { () throws -> Int64 in
                let insert = try store.db.prepare("INSERT INTO requests(command, state) VALUES (?1, 'pending')")
                try insert.bind(command, at: 1)
                try insert.run()
                return store.db.lastInsertRowID
            }
        }
    }

    /// Pending requests, oldest first, marked as taken (a withdrawn request is not returned).
    public func takeRequests() throws -> [Request] {
        try withStore { store in
            // Polled every second: no write transaction unless there is something to take.
            let any = try store.db.prepare("SELECT 1 FROM requests WHERE state = 'pending' LIMIT 1")
            guard try any.step() == .row else { return [] }
            return try store.write { () throws -> [Request] in
                let select = try store.db.prepare("SELECT id, command FROM requests WHERE state = 'pending' ORDER BY id")
                var requests: [Request] = []
                while try select.step() == .row { requests.append(Request(id: select.int64(0), command: select.string(1))) }
                if !requests.isEmpty { try store.db.execute("UPDATE requests SET state = 'taken' WHERE state = 'pending'") }
                return requests
            }
        }
    }

    /// Stores the outcome of a taken request for its submitter.
    public func completeRequest(_ id: Int64, result: String) throws {
        try withStore { store in
            try store.write {
                let update = try store.db.prepare("UPDATE requests SET state = 'done', result = ?2 WHERE id = ?1")
                try update.bind(id, at: 1)
                try update.bind(result, at: 2)
                try update.run()
            }
        }
    }

    public enum RequestState: Sendable, Equatable {
        case pending, taken, done(String), gone
    }

    public func requestState(_ id: Int64) throws -> RequestState {
        try withStore { store in
            let select = try store.db.prepare("SELECT state, result FROM requests WHERE id = ?1")
            try select.bind(id, at: 1)
            guard try select.step() == .row else { return .gone }
            switch select.string(0) {
            case "pending": return .pending
            case "taken": return .taken
            default: return .done(select.isNull(1) ? "" : select.string(1))
            }
        }
    }

    /// Deletes the request. Returns true if it was still pending (so nobody will execute it).
    @discardableResult
    public func withdrawRequest(_ id: Int64) throws -> Bool {
        try withStore { store in
            try store.write { () throws -> Bool in
                let state = try store.db.prepare("SELECT state FROM requests WHERE id = ?1")
                try state.bind(id, at: 1)
                let pending = try state.step() == .row && state.string(0) == "pending"
                let delete = try store.db.prepare("DELETE FROM requests WHERE id = ?1")
                try delete.bind(id, at: 1)
                try delete.run()
                return pending
            }
        }
    }
}
