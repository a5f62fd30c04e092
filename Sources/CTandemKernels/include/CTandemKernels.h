// Thin C layer for SIMD intrinsics Swift cannot express (AVX-512 VNNI, AVX2 maddubs).
// Each function is compiled per target with __attribute__((target(...))) and selected at
// run time, so the package builds without special compiler flags on any CPU.
#pragma once
#include <stdint.h>

/// 1 when the CPU supports AVX-512 F/BW/VNNI, else 0.
int tandem_cpu_has_avx512vnni(void);
/// 1 when the CPU supports AVX2 and FMA, else 0.
int tandem_cpu_has_avx2(void);
