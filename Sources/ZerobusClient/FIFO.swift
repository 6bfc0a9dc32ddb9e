/// A first-in first-out queue with O(1) amortised push, pop and push-front of a run.
/// The stream ledger moves whole runs between its queues, so that is what this optimises.
struct FIFO<Element> {
    private var storage: [Element] = []
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
        head += 1
        // Reclaim the consumed prefix once it dominates, keeping pops O(1) amortised.
        if head > 1024 && head * 2 > storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Puts `elements` in front, keeping their order.
    mutating func prepend(contentsOf elements: [Element]) {
        guard !elements.isEmpty else { return }
        storage = elements + storage[head...]
        head = 0
    }

    var elements: ArraySlice<Element> { storage[head...] }
}
