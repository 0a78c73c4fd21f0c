import Foundation
import Testing
@testable import ShoalCore

/// Throws random and mutated bytes at the envelope decoder: it must never trap, and every
/// valid encoding must round-trip. The seed is printed; set `SHOAL_SEED` to replay a run.
struct EnvelopeFuzzTests {
    static func seed() -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["SHOAL_SEED"], let seed = UInt64(text) { return seed }
        return UInt64.random(in: 0...UInt64.max)
    }

    static func randomEnvelope(_ random: inout SeededRandom) -> Envelope {
        Envelope(
            kind: Envelope.Kind.allCases.randomElement(using: &random)!,
            channel: Envelope.Channel(rawValue: UInt16.random(in: 0...UInt16.max, using: &random)),
            status: Envelope.Status(rawValue: UInt16.random(in: 0...UInt16.max, using: &random)),
            correlationID: random.next(),
            sequence: UInt32.random(in: 0...UInt32.max, using: &random)
        )
    }

    @Test func decoderSurvivesRandomAndMutatedFrames() {
        let seed = Self.seed()
        print("EnvelopeFuzzTests seed: \(seed) (replay with SHOAL_SEED=\(seed))")
        var random = SeededRandom(seed: seed)
        var decoded = 0
        var rejected = 0
        var roundTrips = 0
        let iterations = 120_000
        for iteration in 0..<iterations {
            let valid = Self.randomEnvelope(&random)
            let encoded = valid.wireBytes()
            var frame: [UInt8]
            switch iteration % 6 {
            case 0:
                // A valid encoding must decode to what was encoded.
                let back = try? Envelope(wireBytes: encoded)
                #expect(back == valid, "seed \(seed) iteration \(iteration)")
                roundTrips += 1
                frame = encoded
            case 1:
                frame = (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            case 2:
                frame = Array(encoded.prefix(Int.random(in: 0..<encoded.count, using: &random)))
            case 3:
                frame = encoded
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let bit = Int.random(in: 0..<(frame.count * 8), using: &random)
                    frame[bit / 8] ^= 1 << UInt8(bit % 8)
                }
            case 4:
                frame = encoded + (0..<Int.random(in: 1...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            default:
                // Valid magic and version, random rest: exercises the kind check.
                frame = [0x53, 0x48, Envelope.currentVersion]
                    + (0..<17).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
            do {
                let envelope = try Envelope(wireBytes: frame)
                decoded += 1
                // Whatever decodes re-encodes to the same bytes.
                #expect(envelope.wireBytes() == frame, "seed \(seed) iteration \(iteration)")
            } catch {
                rejected += 1
            }
        }
        #expect(decoded + rejected == iterations)
        #expect(roundTrips == iterations / 6)
        #expect(rejected > iterations / 3)
    }

    @Test func flagsLeaveTheLayoutAlone() throws {
        let envelope = Envelope(kind: .response, channel: .echo, status: .ok, correlationID: 7, sequence: Envelope.HeadFlags.hasBody | Envelope.HeadFlags.transportError)
        #expect(envelope.wireBytes().count == Envelope.encodedSize)
        #expect(try Envelope(wireBytes: envelope.wireBytes()) == envelope)
    }
}
