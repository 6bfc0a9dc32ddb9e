/// A first-in first-out queue with O(1) amortised push, pop and push-front of a run.
/// The stream ledger moves whole runs between its queues, so that is what this optimises.
///
/// A popped slot is cleared at once: the ledger's elements hold record payloads, and keeping
/// acknowledged ones alive until the next compaction held ~1k batches (100+ MiB) per stream.
struct FIFO<Element> {
    private var storage: [Element?] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { head == storage.count }
    var first: Element? { isEmpty ? nil : storage[head] }

    mutating func append(_ element: Element) {
        storage.append(element)
    }

    mutating func popFirst() -> Element? {
        guard !isEmpty else { return nil }
        let element = storage[head]
        storage[head] = nil
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 64 && head * 2 > storage.count {
            // Reclaim the consumed prefix once it dominates, keeping pops O(1) amortised.
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Puts `elements` in front, keeping their order.
    mutating func prepend(contentsOf elements: [Element]) {
        guard !elements.isEmpty else { return }
        storage = elements.map(Optional.some) + storage[head...]
        head = 0
    }

    var elements: [Element] { storage[head...].map { $0! } }
}
