import Testing

@testable import ZerobusClient

@Suite struct FIFOTests {
    final class Payload {}

    @Test func keepsOrderAcrossPopsPrependsAndCompactions() {
        var queue = FIFO<Int>()
        for value in 0..<300 { queue.append(value) }
        var popped: [Int] = []
        for _ in 0..<200 { popped.append(queue.popFirst()!) }
        queue.prepend(contentsOf: [-2, -1])
        #expect(queue.first == -2)
        while let value = queue.popFirst() { popped.append(value) }
        #expect(popped == Array(0..<200) + [-2, -1] + Array(200..<300))
        #expect(queue.isEmpty && queue.count == 0)
    }

    /// Acknowledged requests carry record payloads: a popped element must not stay alive.
    @Test func releasesAnElementAsSoonAsItIsPopped() {
        var queue = FIFO<Payload>()
        weak var firstPayload: Payload?
        do {
            let payload = Payload()
            firstPayload = payload
            queue.append(payload)
        }
        for _ in 0..<10 { queue.append(Payload()) }
        #expect(firstPayload != nil)
        _ = queue.popFirst()
        #expect(firstPayload == nil)
        #expect(queue.count == 10)
    }
}
