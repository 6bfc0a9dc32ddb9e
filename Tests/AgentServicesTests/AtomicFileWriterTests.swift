import AgentServices
import Glibc
import Testing

@Suite struct AtomicFileWriterTests {
    @Test func write_whenParentMissing_createsItAndTheFileWithExactMode() throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let directory = temporary.path + "/run/zerobus-edge"
        let path = directory + "/health.json"
        let umask = try #require(processUmask())

        // 0666 is wider than any usual umask allows: the requested mode must win over the umask.
        try AtomicFileWriter.write(path: path, contents: #"{"state":"online"}"#, mode: 0o666)

        #expect(fileContents(path) == #"{"state":"online"}"#)
        #expect(fileMode(path) == 0o666)
        #expect(fileMode(directory) == 0o755 & ~umask)  // mkdir honours the umask, as mkdir -p does
        #expect(TemporaryDirectory.entries(of: directory) == ["health.json"])
    }

    @Test func write_whenFileExists_replacesItAndLeavesNoTemporaryFiles() throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let path = temporary.path + "/health.json"
        try AtomicFileWriter.write(path: path, contents: "first, a longer document\n", mode: 0o600)
        try AtomicFileWriter.write(path: path, contents: Array("second\n".utf8), mode: 0o640)

        #expect(fileContents(path) == "second\n")
        #expect(fileMode(path) == 0o640)
        #expect(TemporaryDirectory.entries(of: temporary.path) == ["health.json"])
    }

    @Test func write_whenParentIsAFile_throwsAndLeavesNothingBehind() throws {
        let temporary = TemporaryDirectory()
        defer { temporary.remove() }
        let blocker = temporary.path + "/not-a-directory"
        try AtomicFileWriter.write(path: blocker, contents: "x")
        let error = try #require(throws: AgentSystemError.self) {
            try AtomicFileWriter.write(path: blocker + "/health.json", contents: "y")
        }
        #expect(error.errnoCode == ENOTDIR || error.errnoCode == EEXIST)
        #expect(error.message.contains(blocker))
        #expect(TemporaryDirectory.entries(of: temporary.path) == ["not-a-directory"])
    }
}

/// The process umask, read from /proc (calling umask(2) to read it would race other tests).
private func processUmask() -> UInt32? {
    guard let status = fileContents("/proc/self/status") else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("Umask:") {
        return UInt32(line.dropFirst("Umask:".count).trimmingPrefix(while: \.isWhitespace), radix: 8)
    }
    return nil
}
