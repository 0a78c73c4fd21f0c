import Crypto
import Foundation

/// A streamed request body sent over a node's *bulk lane*: a second connection to the peer
/// without CURVE, on which each chunk is sealed with AES-128-GCM under a key used for this
/// one body only. The key and the stream's token travel in the request's head, over the
/// CURVE connection, so only the peer that received the head can open the chunks, and a
/// chunk cannot be forged, altered, replayed into another body or moved within this one.
///
/// Why: CURVE (XSalsa20-Poly1305 in libsodium) seals about 1.2 GB/s on a core; AES-GCM with
/// AES-NI about 4 GB/s. A 3-replica PUT sends its body to two peers, so CURVE was the
/// largest part of a large PUT's CPU.
///
/// On the lane, a chunk's envelope carries the token as its correlation id and its index
/// as its sequence; the end's sequence is the number of chunks. The nonce is the kind and
/// the sequence (unique within the body, and the key is never reused); the envelope's bytes
/// are the associated data. Head payload layout: key (16 bytes), token (UInt64,
/// big-endian), then the service's head.
public struct SealedBody: Sendable {
    public static let keyBytes = 16
    public static let tagBytes = 16
    /// The bytes in front of the head in a request's payload.
    public static let prefixBytes = keyBytes + 8

    /// Identifies the body on the lane (random: peers' request ids overlap).
    public let token: UInt64
    private let key: SymmetricKey

    /// The seal of one body under `key` (``keyBytes`` bytes) and `token` (not 0). The sender
    /// draws both at random for each body; the core itself draws nothing.
    public init?(key: [UInt8], token: UInt64) {
        guard key.count == Self.keyBytes, token != 0 else { return nil }
        self.key = SymmetricKey(data: key)
        self.token = token
    }

    /// The payload of the request's head message: key, token, head.
    public func encode(head: [UInt8]) -> [UInt8] {
        var writer = ByteWriter(reservingCapacity: Self.prefixBytes + head.count)
        key.withUnsafeBytes { writer.writeRaw($0) }
        writer.write(token)
        writer.writeRaw(head)
        return writer.bytes
    }

    /// Splits a head message's payload into the body's seal and the service's head.
    public static func decode(_ payload: [UInt8]) throws(WireError) -> (seal: SealedBody, head: [UInt8]) {
        guard payload.count >= prefixBytes else { throw .truncated(needed: prefixBytes, available: payload.count) }
        var reader = ByteReader(payload)
        let keyBytes = try reader.readRaw(count: Self.keyBytes)
        guard let seal = SealedBody(key: keyBytes, token: try reader.readUInt64()) else {
            throw .invalidValue(field: "sealed.token")
        }
        return (seal, Array(payload[prefixBytes...]))
    }

    /// The envelope a chunk or the end travels under on the lane.
    public func envelope(_ kind: Envelope.Kind, channel: Envelope.Channel, sequence: UInt32) -> Envelope {
        Envelope(kind: kind, channel: channel, correlationID: token, sequence: sequence)
    }

    /// `plain` sealed for `envelope` (a chunk's bytes, or nothing for the end): ciphertext
    /// then tag.
    public func seal(_ plain: [UInt8], for envelope: Envelope) -> [UInt8] {
        // Sealing cannot fail with a 128-bit key and a 12-byte nonce.
        guard let nonce = try? Self.nonce(for: envelope),
              let box = try? AES.GCM.seal(plain, using: key, nonce: nonce, authenticating: envelope.wireBytes())
        else { return [] }
        var sealed = [UInt8]()
        sealed.reserveCapacity(plain.count + Self.tagBytes)
        sealed.append(contentsOf: box.ciphertext)
        sealed.append(contentsOf: box.tag)
        return sealed
    }

    /// The plain bytes of what ``seal(_:for:)`` made for `envelope`; throws when the bytes
    /// were sealed for another envelope or key, or altered.
    public func open(_ sealed: [UInt8], for envelope: Envelope) throws(WireError) -> [UInt8] {
        guard sealed.count >= Self.tagBytes else { throw .truncated(needed: Self.tagBytes, available: sealed.count) }
        let split = sealed.count - Self.tagBytes
        do {
            let box = try AES.GCM.SealedBox(nonce: try Self.nonce(for: envelope), ciphertext: sealed[..<split],
                                            tag: sealed[split...])
            return Array(try AES.GCM.open(box, using: key, authenticating: envelope.wireBytes()))
        } catch {
            throw .invalidValue(field: "sealed.chunk")
        }
    }

    /// Kind, three zero bytes, then the sequence as a big-endian UInt64.
    private static func nonce(for envelope: Envelope) throws -> AES.GCM.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        bytes[0] = envelope.kind.rawValue
        withUnsafeBytes(of: UInt64(envelope.sequence).bigEndian) { bytes.replaceSubrange(4..<12, with: $0) }
        return try AES.GCM.Nonce(data: bytes)
    }
}
