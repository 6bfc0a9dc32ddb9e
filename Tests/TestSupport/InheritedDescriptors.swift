import Glibc

/// Adds a close action to `actions` for every descriptor of this process above stderr, so a
/// spawned child inherits only what the caller dup2'd onto 0, 1 and 2.
///
/// Why: tests run in parallel and their pipes are not all close-on-exec (Foundation's `Pipe`
/// is not). A child that inherits another fixture's stdin pipe keeps it open, and that fixture,
/// which exits when its stdin closes, then never does. Glibc's
/// `posix_spawn_file_actions_addclosefrom_np` is not visible to Swift, so this lists
/// /proc/self/fd instead (closing a descriptor that is gone by then is harmless for glibc).
public func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
    guard let directory = opendir("/proc/self/fd") else { return }
    defer { closedir(directory) }
    let listing = dirfd(directory)
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        guard let descriptor = Int32(name), descriptor > 2, descriptor != listing else { continue }
        posix_spawn_file_actions_addclose(&actions, descriptor)
    }
}
