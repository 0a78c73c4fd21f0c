/// A binary min-heap: `min` in O(1), `insert` and `popMin` in O(log n), built from an array
/// in O(n). Equal elements come out in no particular order; make the ordering total (a
/// sequence number as the last key) where that matters.
///
/// Inlinable, so a module using it with its own element type gets a specialized copy
/// (direct comparisons and moves) instead of the generic one, which calls through witness
/// tables for every comparison and swap: the transport's deadline timer sits on every
/// request's path.
public struct MinHeap<Element: Comparable> {
    @usableFromInline
    var elements: [Element]

    @inlinable
    public init() { elements = [] }

    /// A heap of `elements` (Floyd's bottom-up construction).
    @inlinable
    public init(_ elements: [Element]) {
        self.elements = elements
        var index = elements.count / 2
        while index > 0 {
            index -= 1
            siftDown(from: index)
        }
    }

    @inlinable
    public var count: Int { elements.count }
    @inlinable
    public var isEmpty: Bool { elements.isEmpty }
    @inlinable
    public var min: Element? { elements.first }

    @inlinable
    public mutating func insert(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard elements[child] < elements[parent] else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    @inlinable @discardableResult
    public mutating func popMin() -> Element? {
        guard !elements.isEmpty else { return nil }
        elements.swapAt(0, elements.count - 1)
        let smallest = elements.removeLast()
        siftDown(from: 0)
        return smallest
    }

    @inlinable
    mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < elements.count else { return }
            let right = left + 1
            let child = right < elements.count && elements[right] < elements[left] ? right : left
            guard elements[child] < elements[parent] else { return }
            elements.swapAt(child, parent)
            parent = child
        }
    }
}

extension MinHeap: Sendable where Element: Sendable {}
