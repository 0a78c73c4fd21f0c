/// How the simulated network treats messages between ``SimulatedCluster`` nodes.
public struct SimulatedNetwork: Hashable, Sendable {
    /// One-way delay, drawn uniformly per message.
    public var minimumDelay: Duration
    public var maximumDelay: Duration
    /// Probability that a message is lost, 0...1.
    public var lossProbability: Double
    /// When true every message is encoded and decoded on the way (exercising the codec,
    /// and counting bytes); when false messages travel as values and bytes are not counted.
    public var encodesMessages: Bool

    public init(
        minimumDelay: Duration = .microseconds(200), maximumDelay: Duration = .milliseconds(2),
        lossProbability: Double = 0, encodesMessages: Bool = false
    ) {
        self.minimumDelay = minimumDelay
        self.maximumDelay = max(minimumDelay, maximumDelay)
        self.lossProbability = lossProbability
        self.encodesMessages = encodesMessages
    }

    /// A quiet LAN: 0.2–2 ms, no loss.
    public static let lan = SimulatedNetwork()
}
