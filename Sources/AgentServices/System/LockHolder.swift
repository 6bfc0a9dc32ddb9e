import Glibc

/// Which process holds a `flock` on a file, from /proc/locks (for an error message only).
///
/// flock(2) itself does not say; /proc/locks lists each lock as
/// `1: FLOCK  ADVISORY  WRITE 1234 08:01:5505 0 EOF` (pid, then major:minor:inode in hex:hex:dec).
enum LockHolder {
    static func pid(ofFlockOn path: String) -> Int32? {
        var info = stat()
        guard stat(path, &info) == 0, let text = readProcLocks() else { return nil }
        let device = String(major(info.st_dev), radix: 16) + ":" + String(minor(info.st_dev), radix: 16)
        return pid(in: text, device: device, inode: UInt64(info.st_ino))
    }

    /// The pid of the first FLOCK line on `device` ("maj:min", hex) and `inode`.
    static func pid(in procLocks: String, device: String, inode: UInt64) -> Int32? {
        for line in procLocks.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // "1:" "FLOCK" "ADVISORY" "WRITE" pid dev:inode start end; waiters have "->" in [1].
            guard fields.count >= 6, fields[1] == "FLOCK" else { continue }
            let parts = fields[5].split(separator: ":")
            guard parts.count == 3, UInt64(parts[2]) == inode, Self.sameDevice(parts[0], parts[1], device) else { continue }
            return Int32(fields[4])
        }
        return nil
    }

    /// Compares "maj:min" numerically: the kernel pads to two hex digits ("08:01").
    private static func sameDevice(_ major: Substring, _ minor: Substring, _ device: String) -> Bool {
        let expected = device.split(separator: ":")
        guard expected.count == 2 else { return false }
        return UInt32(major, radix: 16) == UInt32(expected[0], radix: 16)
            && UInt32(minor, radix: 16) == UInt32(expected[1], radix: 16)
    }

    /// glibc's gnu_dev_major/minor (macros, not imported).
    private static func major(_ device: UInt) -> UInt32 {
        UInt32(truncatingIfNeeded: (device >> 8) & 0xfff) | (UInt32(truncatingIfNeeded: device >> 32) & ~0xfff)
    }

    private static func minor(_ device: UInt) -> UInt32 {
        UInt32(truncatingIfNeeded: device & 0xff) | (UInt32(truncatingIfNeeded: device >> 12) & ~0xff)
    }

    private static func readProcLocks() -> String? {
        let descriptor = open("/proc/locks", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
