extension ClockJudge {
    /// The judge's floor: no real clock reads earlier than this binary's release. Swift has no
    /// `__DATE__`, and a generated file would make builds irreproducible, so this is a constant
    /// raised by hand with `AgentRuntime.version` (a stale value only makes the floor lower, never
    /// wrong). 2026-12-01T00:00:00Z.
    public static let buildDateFloorMicros: Int64 = 1_796_083_200_000_000
}
