import ShoalCore
import Testing

/// The sealing of bodies on the bulk lane: what one seal makes only the same body's key,
/// at the same place in the same stream, opens.
struct SealedBodyTests {
    let channel = Envelope.Channel.object

    /// A seal with key and token derived from `seed` (the sender draws them at random).
    static func seal(_ seed: UInt8 = 1) -> SealedBody {
        SealedBody(key: (0..<UInt8(SealedBody.keyBytes)).map { $0 &* 17 &+ seed }, token: 0x5EA1_0000 + UInt64(seed))!
    }

    @Test func aSealNeedsAWholeKeyAndAToken() {
        #expect(SealedBody(key: [UInt8](repeating: 1, count: SealedBody.keyBytes - 1), token: 1) == nil)
        #expect(SealedBody(key: [UInt8](repeating: 1, count: SealedBody.keyBytes), token: 0) == nil)
    }

    @Test func aChunkOpensUnderItsOwnEnvelope() throws {
        let seal = Self.seal()
        let chunk = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let envelope = seal.envelope(.streamChunk, channel: channel, sequence: 7)
        let sealed = seal.seal(chunk, for: envelope)
        #expect(sealed.count == chunk.count + SealedBody.tagBytes)
        #expect(Array(sealed.prefix(64)) != Array(chunk.prefix(64)))
        #expect(try seal.open(sealed, for: envelope) == chunk)
        #expect(envelope.correlationID == seal.token)
    }

    @Test func theHeadCarriesTheKeyToThePeer() throws {
        let seal = Self.seal()
        let head: [UInt8] = [9, 8, 7]
        let (received, decodedHead) = try SealedBody.decode(seal.encode(head: head))
        #expect(decodedHead == head)
        #expect(received.token == seal.token)
        let envelope = seal.envelope(.streamChunk, channel: channel, sequence: 0)
        #expect(try received.open(seal.seal([1, 2, 3], for: envelope), for: envelope) == [1, 2, 3])
    }

    @Test func anyChangeToTheBytesIsRefused() {
        let seal = Self.seal()
        let envelope = seal.envelope(.streamChunk, channel: channel, sequence: 1)
        let sealed = seal.seal(Array(repeating: 0x41, count: 4096), for: envelope)
        for index in [0, 2047, sealed.count - 1] {
            var altered = sealed
            altered[index] ^= 0x01
            #expect(throws: WireError.self) { try seal.open(altered, for: envelope) }
        }
        #expect(throws: WireError.self) { try seal.open(Array(sealed.dropLast()), for: envelope) }
        #expect(throws: WireError.self) { try seal.open([1, 2, 3], for: envelope) }
    }

    @Test func aChunkDoesNotOpenElsewhere() {
        let seal = Self.seal()
        let envelope = seal.envelope(.streamChunk, channel: channel, sequence: 3)
        let sealed = seal.seal([1, 2, 3, 4], for: envelope)
        // Moved within the body, to another channel, made an end, or under another body's key.
        let elsewhere = [
            seal.envelope(.streamChunk, channel: channel, sequence: 4),
            seal.envelope(.streamChunk, channel: .container, sequence: 3),
            seal.envelope(.streamEnd, channel: channel, sequence: 3),
            Envelope(kind: .streamChunk, channel: channel, correlationID: seal.token &+ 1, sequence: 3),
        ]
        for other in elsewhere {
            #expect(throws: WireError.self) { try seal.open(sealed, for: other) }
        }
        let stranger = Self.seal(2)
        #expect(stranger.token != seal.token)
        #expect(throws: WireError.self) { try stranger.open(sealed, for: envelope) }
    }

    @Test func anEndIsSealedAndCounted() throws {
        let seal = Self.seal()
        let end = seal.envelope(.streamEnd, channel: channel, sequence: 12)
        let sealed = seal.seal([], for: end)
        #expect(sealed.count == SealedBody.tagBytes)
        #expect(try seal.open(sealed, for: end) == [])
        #expect(throws: WireError.self) { try seal.open(sealed, for: seal.envelope(.streamEnd, channel: channel, sequence: 11)) }
    }

    @Test func aShortOrZeroTokenHeadIsRefused() {
        #expect(throws: WireError.self) { try SealedBody.decode(Array(repeating: 1, count: SealedBody.prefixBytes - 1)) }
        var zeroToken = [UInt8](repeating: 1, count: SealedBody.keyBytes)
        zeroToken += [UInt8](repeating: 0, count: 8)
        #expect(throws: WireError.self) { try SealedBody.decode(zeroToken) }
    }
}
