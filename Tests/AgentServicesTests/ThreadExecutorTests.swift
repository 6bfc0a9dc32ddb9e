import Glibc
import Synchronization
import Testing
@testable import AgentServices

/// `ThreadExecutor`: an actor on it runs on its one thread, serially; scheduled actions
/// coalesce and run there too; `stop` finishes queued work.
@Suite struct ThreadExecutorTests {
    @Test func anActorOnItRunsOnTheExecutorsThreadOnly() async throws {
        let executor = try ThreadExecutor()
        try executor.start(name: "test")
        defer { executor.stop() }
        let counter = CountingActor(executor: executor)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<200 { group.addTask { await counter.increment() } }
        }
        #expect(await counter.count == 200)
        #expect(await counter.threadsSeen == 1)
        #expect(await counter.allOnExecutorThread)
        #expect(!executor.isCurrentThread)
    }

    @Test func schedulesBeforeTheDueTimeCoalesceIntoOneAction() async throws {
        let runs = Atomic<Int>(0)
        let ran = WakeSignal()
        let executor = try ThreadExecutor {
            runs.add(1, ordering: .relaxed)
            ran.signal()
            return nil
        }
        let seen = ran.generation
        for _ in 0..<5 { executor.schedule(afterMilliseconds: 30) }
        try executor.start(name: "test")
        defer { executor.stop() }
        #expect(await ran.wait(after: seen, timeout: .seconds(10)))
        // A job queued after the action ran: had a second action been due, it would be due now.
        let counter = CountingActor(executor: executor)
        await counter.increment()
        #expect(runs.load(ordering: .relaxed) == 1)
    }

    @Test func anActionAsksToRunAgain() async throws {
        let runs = Atomic<Int>(0)
        let twice = WakeSignal()
        let executor = try ThreadExecutor {
            let count = runs.add(1, ordering: .relaxed).newValue
            if count == 2 { twice.signal() }
            return count < 2 ? 1 : nil
        }
        let seen = twice.generation
        try executor.start(name: "test")
        defer { executor.stop() }
        executor.schedule(afterMilliseconds: 0)
        #expect(await twice.wait(after: seen, timeout: .seconds(10)))
    }

    @Test func aTickRepeatsOnTheThreadUntilRemoved() async throws {
        let ticks = Atomic<Int>(0)
        let offThread = Atomic<Int>(0)
        let third = WakeSignal()
        let timer = WakeSignal()
        let executor = try ThreadExecutor {
            timer.signal()
            return nil
        }
        try executor.start(name: "test")
        defer { executor.stop() }
        let seen = third.generation
        executor.setTick(everyMilliseconds: 1) { [executor] in
            if !executor.isCurrentThread { offThread.add(1, ordering: .relaxed) }
            if ticks.add(1, ordering: .relaxed).newValue == 3 { third.signal() }
        }
        #expect(await third.wait(after: seen, timeout: .seconds(10)))
        executor.setTick(everyMilliseconds: 1, nil)
        await CountingActor(executor: executor).increment()  // the thread has seen the removal
        let afterRemoval = ticks.load(ordering: .relaxed)
        // 30 ms of a 1 ms tick, timed by the executor's own action rather than a sleep.
        let timerSeen = timer.generation
        executor.schedule(afterMilliseconds: 30)
        #expect(await timer.wait(after: timerSeen, timeout: .seconds(10)))
        #expect(ticks.load(ordering: .relaxed) == afterRemoval)
        #expect(offThread.load(ordering: .relaxed) == 0)
    }

    @Test func stopRunsWhatIsQueuedAndLaterJobsStillRun() async throws {
        let executor = try ThreadExecutor()
        try executor.start(name: "test")
        let counter = CountingActor(executor: executor)
        await counter.increment()
        executor.stop()
        await counter.increment()  // would hang if the job were left queued
        #expect(await counter.count == 2)
    }
}

actor CountingActor {
    private let executor: ThreadExecutor
    private(set) var count = 0
    private var threads: Set<UInt> = []
    private(set) var allOnExecutorThread = true
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    init(executor: ThreadExecutor) { self.executor = executor }

    var threadsSeen: Int { threads.count }

    func increment() {
        let before = count
        threads.insert(UInt(pthread_self()))
        if !executor.isCurrentThread { allOnExecutorThread = false }
        count = before + 1
    }
}
