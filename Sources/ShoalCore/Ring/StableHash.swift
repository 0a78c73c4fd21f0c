/// Hashes and arithmetic whose results are bit-identical on every node and every build.
///
/// The ring must come out byte-identical everywhere, so placement never uses Swift's
/// per-process seeded `Hasher` nor libm functions whose last bit may differ between
/// library versions: only integer mixing and IEEE-754 basic operations.
public enum StableHash {
    /// 64-bit FNV-1a of the bytes, finished with a SplitMix64 avalanche.
    public static func of(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return mix(hash)
    }

    public static func of(_ string: String) -> UInt64 { of(string.utf8) }

    /// SplitMix64's finaliser: a bijective avalanche of 64 bits.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A double uniformly in the open interval (0, 1) from the top 53 bits.
    @inline(__always)
    public static func unitInterval(_ value: UInt64) -> Double {
        (Double(value >> 11) + 0.5) * 0x1.0p-53
    }

    /// Natural logarithm of a positive finite `x`, from basic operations only.
    ///
    /// Splits `x = m · 2^e` with `m` in [√½, √2), then `ln m = 2·atanh(s)`, `s = (m−1)/(m+1)`,
    /// summed to a fixed number of terms (|s| ≤ 0.172, error below 1e-16).
    public static func log(_ x: Double) -> Double {
        precondition(x > 0 && x.isFinite, "StableHash.log takes a positive finite number")
        var exponent = Double(x.exponent)
        var mantissa = x.significand  // [1, 2)
        if mantissa > 1.4142135623730951 {
            mantissa *= 0.5
            exponent += 1
        }
        let s = (mantissa - 1) / (mantissa + 1)
        let s2 = s * s
        var term = s
        var sum = 0.0
        var denominator = 1.0
        for _ in 0..<11 {
            sum += term / denominator
            term *= s2
            denominator += 2
        }
        return 2 * sum + exponent * 0.6931471805599453
    }
}
