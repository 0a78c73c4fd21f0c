/// A min-heap of timed events ordered by (time, sequence): equal times run in the order
/// they were scheduled, so a simulation is a pure function of its seed.
struct EventQueue<Payload> {
    struct Event {
        var timeNanoseconds: Int64
        var sequence: UInt64
        var payload: Payload

        func precedes(_ other: Event) -> Bool {
            (timeNanoseconds, sequence) < (other.timeNanoseconds, other.sequence)
        }
    }

    private var heap: [Event] = []
    private var nextSequence: UInt64 = 0

    var count: Int { heap.count }
    var isEmpty: Bool { heap.isEmpty }
    var earliestTime: Int64? { heap.first?.timeNanoseconds }

    mutating func push(at timeNanoseconds: Int64, _ payload: Payload) {
        nextSequence += 1
        heap.append(Event(timeNanoseconds: timeNanoseconds, sequence: nextSequence, payload: payload))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Event? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let event = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            var smallest = left
            let right = left + 1
            if right < heap.count, heap[right].precedes(heap[left]) { smallest = right }
            guard heap[smallest].precedes(heap[parent]) else { break }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
        return event
    }
}

extension Duration {
    /// Whole nanoseconds (the simulation's clock unit).
    var nanosecondCount: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
