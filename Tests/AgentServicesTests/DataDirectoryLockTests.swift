import TOML
import AgentCore
import Glibc
import Testing

@testable import AgentServices

@Suite struct DataDirectoryLockTests {
    @Test func acquire_whenHeld_refusesASecondHolder_evenThroughASymlink() throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let link = temporary.path + "/link"
        #expect(symlink(temporary.path, link) == 0)

        var first = try DataDirectoryLock.acquire(dataDirectory: temporary.path)
        #expect(first != nil)
        // Another open file description, as a second process would have: flock conflicts.
        #expect(try DataDirectoryLock.acquire(dataDirectory: link) == nil)
        first = nil  // closing the descriptor releases the lock
        #expect(try DataDirectoryLock.acquire(dataDirectory: temporary.path) != nil)
    }

    @Test func acquireForDaemon_whenHeld_namesTheDirectoryAndThisProcess() throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let held = try #require(try DataDirectoryLock.acquire(dataDirectory: temporary.path))
        let error = try #require(throws: AgentError.self) { try DataDirectoryLock.acquireForDaemon(dataDirectory: temporary.path) }
        #expect(error.description.contains("another zerobus-edge process is using \(temporary.path) (pid \(getpid()) holds its lock)"))
        withExtendedLifetime(held) {}
    }

    @Test func lockHolder_readsThePidOfAMatchingFlockLine() {
        let locks = """
            1: POSIX  ADVISORY  WRITE 777 fd:00:5505 0 EOF
            2: FLOCK  ADVISORY  WRITE 4242 08:01:5505 0 EOF
            2: -> FLOCK  ADVISORY  WRITE 5151 08:01:5505 0 EOF
            3: FLOCK  ADVISORY  WRITE 99 08:01:6606 0 EOF
            """
        #expect(LockHolder.pid(in: locks, device: "8:1", inode: 5505) == 4242)
        #expect(LockHolder.pid(in: locks, device: "8:2", inode: 5505) == nil)
        #expect(LockHolder.pid(in: locks, device: "fd:0", inode: 5505) == nil)  // POSIX locks are not ours
    }

    @Test func resolve_replacesASymlinkedDataDirWithItsRealPath() throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let target = temporary.path + "/partition/ring"
        let link = temporary.path + "/data"
        try DataDirectory.make(target)
        #expect(symlink(target, link) == 0)
        let text = """
            [agent]
            data_dir = "\(link)/"
            [zerobus]
            endpoint = "http://127.0.0.1:1"
            token = "t"
            [[table]]
            name = "main.iot.readings"
            topics = ["sensors/#"]
            columns = [{ name = "v", type = "double", from = "$.v" }]
            """
        let configuration = try AgentConfiguration(toml: try TOML.parse(text), environment: [:], hostName: "gw")
        let resolved = try DataDirectory.resolve(configuration, create: true)
        #expect(resolved.agent.dataDirectory == DataDirectory.realPath(target))
        #expect(!resolved.agent.dataDirectory.contains("/data"))
    }
}
