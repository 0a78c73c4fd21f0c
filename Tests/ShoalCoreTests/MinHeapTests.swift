import Testing
@testable import ShoalCore

@Suite("Min-heap")
struct MinHeapTests {
    @Test("pops in ascending order whatever the insertion order (seeded)")
    func ascending() {
        let seed = TestSeed.value(default: 0x4EA9)
        var random = SeededRandom(seed: seed)
        for round in 0..<50 {
            let values = (0..<Int.random(in: 0...300, using: &random)).map { _ in Int.random(in: -1_000...1_000, using: &random) }
            var heap = MinHeap<Int>()
            for value in values { heap.insert(value) }
            #expect(heap.count == values.count)
            var popped: [Int] = []
            while let smallest = heap.popMin() { popped.append(smallest) }
            #expect(popped == values.sorted(), "seed \(seed) round \(round)")
            #expect(heap.isEmpty && heap.min == nil && heap.popMin() == nil)
        }
    }

    @Test("built from an array, it is a heap at once; inserts and pops interleave")
    func builtAndInterleaved() {
        let seed = TestSeed.value(default: 0xB11D)
        var random = SeededRandom(seed: seed)
        let values = (0..<500).map { _ in Int.random(in: 0...10_000, using: &random) }
        var heap = MinHeap(values)
        var reference = values.sorted()
        #expect(heap.min == reference.first, "seed \(seed)")
        for step in 0..<1_000 {
            if Bool.random(using: &random) || reference.isEmpty {
                let value = Int.random(in: 0...10_000, using: &random)
                heap.insert(value)
                reference.insert(value, at: reference.firstIndex { $0 > value } ?? reference.count)
            } else {
                #expect(heap.popMin() == reference.removeFirst(), "seed \(seed) step \(step)")
            }
            #expect(heap.min == reference.first && heap.count == reference.count, "seed \(seed) step \(step)")
        }
    }
}
