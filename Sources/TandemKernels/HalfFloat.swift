/// IEEE binary16 and bfloat16 conversions on bit patterns.
///
/// Works on `UInt16` bit patterns rather than `Float16` so it builds on every platform
/// (Float16 is unavailable on macOS x86-64). Rounding from Float32 is round-half-to-even,
/// as F16C's `vcvtps2ph` with mode 0 and ggml's `GGML_FP32_TO_FP16`.
public enum HalfFloat {
    /// The Float32 value of a binary16 bit pattern (exact; subnormals, infinities and NaN kept).
    @inlinable @inline(__always)
    public static func float(fromHalf bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        if exponent == 0 {
            // Zero or subnormal: mantissa * 2^-24, exact in Float32.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// The nearest binary16 bit pattern to `value` (ties to even; overflow gives infinity).
    @inlinable
    public static func half(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        var mantissa = bits & 0x7F_FFFF
        if exponent == 0xFF {
            return sign | 0x7C00 | (mantissa != 0 ? 0x200 | UInt16(mantissa >> 13) : 0)
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F { return sign | 0x7C00 }
        if halfExponent <= 0 {
            // Subnormal half (or zero): shift the full significand into place, round to even.
            if halfExponent < -10 { return sign }
            mantissa |= 0x80_0000
            let shift = UInt32(14 - halfExponent)
            var result = mantissa >> shift
            let remainder = mantissa & ((1 << shift) - 1)
            let halfway = UInt32(1) << (shift - 1)
            if remainder > halfway || (remainder == halfway && (result & 1) == 1) { result += 1 }
            return sign | UInt16(result)
        }
        var result = UInt32(halfExponent) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1FFF
        if remainder > 0x1000 || (remainder == 0x1000 && (result & 1) == 1) {
            result += 1  // may carry into the exponent, which rounds up to infinity correctly
        }
        return sign | UInt16(result)
    }

    /// `value` rounded to the nearest binary16 and widened back.
    @inlinable @inline(__always)
    public static func roundedToHalf(_ value: Float) -> Float {
        float(fromHalf: half(from: value))
    }

    /// The Float32 value of a bfloat16 bit pattern (exact).
    @inlinable @inline(__always)
    public static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The nearest bfloat16 to `value`, ties to even; NaN stays a quiet NaN (as ggml).
    @inlinable
    public static func bfloat16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if bits & 0x7FFF_FFFF > 0x7F80_0000 { return UInt16(bits >> 16) | 64 }
        return UInt16((bits &+ (0x7FFF &+ ((bits >> 16) & 1))) >> 16)
    }
}
