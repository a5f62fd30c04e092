import CTandemKernels
import Foundation

/// Which implementation of the matrix products runs.
///
/// `.reference` is the scalar twin of every kernel (ggml's generic code), `.portable` the
/// Swift code used on CPUs without the C fast paths, `.avx2` and `.avx512` the C
/// intrinsics (AVX2/FMA `maddubs`; AVX-512 BW with VNNI `vpdpbusd`). All give the same
/// integer block sums; they differ only in the order of Float32 additions.
public enum KernelBackend: String, Sendable, CaseIterable, CustomStringConvertible {
    case reference, portable, avx2, avx512

    /// The fastest backend this CPU runs, detected once. The environment variable
    /// `TANDEM_KERNEL_BACKEND` (reference, portable, avx2, avx512) overrides it when that
    /// backend runs here, for comparing numerics or speed.
    public static let best: KernelBackend = {
        if let name = ProcessInfo.processInfo.environment["TANDEM_KERNEL_BACKEND"],
           let chosen = KernelBackend(rawValue: name), chosen.isAvailable {
            return chosen
        }
        if tandem_cpu_has_avx512vnni() != 0 { return .avx512 }
        if tandem_cpu_has_avx2() != 0 { return .avx2 }
        return .portable
    }()

    /// Whether this CPU can run the backend.
    public var isAvailable: Bool {
        switch self {
        case .reference, .portable: true
        case .avx2: tandem_cpu_has_avx2() != 0
        case .avx512: tandem_cpu_has_avx512vnni() != 0
        }
    }

    /// Whether the backend has the token-interleaved kernels used for batches.
    public var hasBatchedKernels: Bool { self == .avx512 }

    /// Backends that run on this CPU.
    public static var available: [KernelBackend] { allCases.filter(\.isAvailable) }

    public var description: String { rawValue }
}
