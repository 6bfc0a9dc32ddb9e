import CMalloc
import Synchronization

/// Gives memory freed after big MQTT payloads (and junk floods) back to the kernel.
///
/// glibc serves an allocation from mmap only above M_MMAP_THRESHOLD, and by default raises that
/// threshold to the size of every mmapped block freed (up to 32 MiB). After the first 10 MiB
/// payload, every later one therefore comes from the heap arenas, and free() keeps those pages:
/// measured, 60 payloads of 9.9 MiB left the agent at 127 MiB RSS for good. A fixed threshold
/// turns that dynamic raise off, so big buffers are unmapped the moment they are freed;
/// `trim()` returns what small allocations (a flood of junk) leave free in the arenas.
public enum HeapRelease {
    /// Blocks from this size up are mmapped and returned on free. 256 KiB: readings, rows and
    /// batches below it stay in the arenas (fast); anything the size of a big payload does not.
    static let mmapThreshold: Int32 = 256 * 1024

    /// Messages at least this big are followed by a trim (their parse and quarantine leave
    /// medium-sized blocks below the mmap threshold behind).
    public static let bigMessageBytes = 1024 * 1024

    /// Call once at start, before the threads that allocate (mallopt is not meant to race).
    public static func configure() {
        _ = mallopt(M_MMAP_THRESHOLD, mmapThreshold)
    }

    /// malloc_trim(0): releases free pages of every arena (not only the top of the main heap).
    /// Takes a few ms on a large heap; call after big messages or when intake went quiet.
    public static func trim() {
        _ = malloc_trim(0)
    }
}

/// Trims once intake has been quiet for a tick after handling messages: a flood of junk leaves
/// the arenas fragmented, and trimming per message would cost CPU all through the flood.
final class IdleHeapTrimmer: Sendable {
    private struct State {
        var seen = 0
        var trimmedAt = 0
    }

    private let state = Mutex(State())

    /// `messages`: intake's running message count, read once per housekeeping tick. Returns
    /// whether it trimmed: when the count moved since the last trim but not since the last tick.
    @discardableResult
    func tick(messages: Int) -> Bool {
        let quiet = state.withLock { state -> Bool in
            defer { state.seen = messages }
            guard messages == state.seen, messages != state.trimmedAt else { return false }
            state.trimmedAt = messages
            return true
        }
        if quiet { HeapRelease.trim() }
        return quiet
    }
}
