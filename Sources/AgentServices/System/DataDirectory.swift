import AgentCore
import EdgeSupport
import Glibc

/// `agent.data_dir` resolved once to its real path, before anything opens a file in it.
///
/// A symlinked data directory is the usual way to put the ring on a data partition or SD card,
/// but the ring opens SQLite with SQLITE_OPEN_NOFOLLOW (a symlink planted at the database path
/// must not redirect writes), which refuses a path with a symlink anywhere in it
/// (SQLITE_CANTOPEN). Resolving here gives the ring, its journal files, the lock and the CLI the
/// same real path, so a daemon and a CLI reaching the directory by different links still agree.
public enum DataDirectory {
    /// The configuration with `agent.data_dir` replaced by its real path. With `create`, missing
    /// directories are made first (0700); without, a directory that does not exist yet is left
    /// as configured (the caller's open then reports it).
    public static func resolve(_ configuration: AgentConfiguration, create: Bool) throws(AgentError) -> AgentConfiguration {
        let configured = configuration.agent.dataDirectory
        if create { try make(configured) }
        guard let real = realPath(configured) else {
            if !create && errno == ENOENT { return configuration }
            throw AgentError("agent.data_dir \(configured): cannot resolve: \(ErrnoText.describe())")
        }
        var resolved = configuration
        resolved.agent.dataDirectory = real
        return resolved
    }

    /// realpath(3): every symlink, `.` and `..` resolved; nil with errno set on failure.
    static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    /// mkdir -p with 0700; an existing directory or a symlink to one is fine.
    static func make(_ path: String) throws(AgentError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw AgentError("agent.data_dir \(path): cannot create \(current): \(ErrnoText.describe())")
            }
        }
    }
}
