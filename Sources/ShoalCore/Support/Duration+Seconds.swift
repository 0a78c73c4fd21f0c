extension Duration {
    /// The duration in (fractional) seconds, for figures, rates and gauges.
    public var inSeconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
