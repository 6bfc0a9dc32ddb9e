import Glibc
import Synchronization

/// Replaces a file so that readers see either the old or the new contents, never a torn mix,
/// and a crash leaves one of the two on disk (used for the health file).
///
/// Sequence: create the parent directory (mode 0755) if missing → write a temporary file in
/// the same directory (same file system, so rename is atomic) → set its mode → fsync → rename
/// over the target → fsync the directory so the rename itself is durable. On failure the
/// temporary file is removed.
public enum AtomicFileWriter {
    /// Distinguishes temporary files of concurrent writers in one process.
    private static let sequence = Atomic<Int>(0)

    /// - Parameter mode: permission bits of the new file, applied exactly (the umask does not
    ///   narrow them).
    public static func write(path: String, contents: String, mode: UInt32 = 0o644) throws(AgentSystemError) {
        try write(path: path, contents: Array(contents.utf8), mode: mode)
    }

    public static func write(path: String, contents: [UInt8], mode: UInt32 = 0o644) throws(AgentSystemError) {
        let (directory, name) = split(path)
        guard !name.isEmpty else { throw AgentSystemError("\(path): not a file path") }
        try createDirectories(directory)

        let serial = sequence.wrappingAdd(1, ordering: .relaxed).newValue
        let temporary = "\(directory)/.\(name).tmp-\(getpid())-\(serial)"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw AgentSystemError.posix("cannot create \(temporary)") }
        var descriptorOpen = true
        do throws(AgentSystemError) {
            guard fchmod(fd, mode_t(mode)) == 0 else { throw AgentSystemError.posix("cannot chmod \(temporary)") }
            try writeAll(fd, contents, context: temporary)
            guard fsync(fd) == 0 else { throw AgentSystemError.posix("cannot fsync \(temporary)") }
            descriptorOpen = false
            guard close(fd) == 0 else { throw AgentSystemError.posix("cannot close \(temporary)") }
        } catch {
            if descriptorOpen { closeDescriptor(fd) }
            _ = unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = AgentSystemError.posix("cannot rename \(temporary) to \(path)")
            _ = unlink(temporary)
            throw error
        }
        syncDirectory(directory)
    }

    /// `("/run/zerobus-edge", "health.json")`; a bare name lives in `"."`.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// `mkdir -p` with mode 0755 for each directory created.
    static func createDirectories(_ directory: String) throws(AgentSystemError) {
        var prefix = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0, errno != EEXIST {
                throw AgentSystemError.posix("cannot create directory \(prefix)")
            }
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], context: String) throws(AgentSystemError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw AgentSystemError.posix("cannot write \(context)")
            }
            offset += count
        }
    }

    /// Best effort: some file systems refuse fsync on directories, and the data itself is already safe.
    private static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        closeDescriptor(fd)
    }
}
