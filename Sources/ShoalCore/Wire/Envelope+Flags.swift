/// Meanings of the `sequence` field for the kinds that carry no chunk index or credit.
///
/// Written by the transport engine (``ShoalPorts``) on both adapters; a decoder that does
/// not know a bit ignores it.
extension Envelope {
    /// Bits in `sequence` of a `.request` or `.response`.
    public enum HeadFlags {
        /// A streamed body follows under the same correlation id (`.streamChunk`... `.streamEnd`).
        public static let hasBody: UInt32 = 1 << 0
        /// On a `.response`: the transport itself refused the request (no handler for the
        /// channel, shutting down); the payload is a UTF-8 reason. The caller sees
        /// `TransportError.remote`.
        public static let transportError: UInt32 = 1 << 1
        /// The payload carries the head and the whole body together (``InlineBody``); no
        /// stream follows. Only set on bodies small enough to need no flow control.
        public static let inlineBody: UInt32 = 1 << 2
        /// On a `.request` with `hasBody`: the body streams over the sender's bulk lane,
        /// sealed (``SealedBody``); the payload starts with the body's key and token.
        public static let sealedBody: UInt32 = 1 << 3
    }

    /// Values of `sequence` in a `.streamAbort`: which end of the stream gave up.
    public enum AbortSide {
        /// The sender of the body abandons it; the receiver's stream fails.
        public static let bySender: UInt32 = 0
        /// The receiver of the body no longer wants it; the sender stops sending.
        public static let byReceiver: UInt32 = 1
    }
}
