// sn::build_info(): the version, the SIMD architecture the kernels were compiled for and
// the thread count, so that a slow build (no -march flags) is visible, not silent; fit says
// so once per process when it shows progress.
#pragma once

#include <sanenet/core/config.hpp>
#include <sanenet/kernels/self_check.hpp>
#include <sanenet/kernels/simd.hpp>
#include <sanenet/kernels/thread_pool.hpp>

#include <string>

namespace sanenet::inline SANENET_ABI {

// Empty when the kernels use the widest vectors this CPU has; otherwise the advice to
// rebuild: a build without -march flags runs SSE2 kernels, several times slower.
SANENET_INLINE std::string simd_note();

// The outcome of the SIMD self-check (kernels/self_check.hpp), in a few words.
SANENET_INLINE std::string simd_self_check();

SANENET_INLINE std::string build_info();

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI {

SANENET_INLINE std::string simd_note() {
    const auto cpu = xsimd::available_architectures();
    if (cpu.best <= kernels::arch::version()) return {};
    std::string widest = cpu.avx512f ? "AVX-512" : cpu.avx2 ? "AVX2" : cpu.avx ? "AVX" : "wider vectors";
    return std::string("the kernels were compiled for ") + kernels::arch_name() + ", but this CPU has " + widest +
           ": build with -march=native (CMake: SANENET_NATIVE=ON) for several times faster training";
}

SANENET_INLINE std::string simd_self_check() {
    const kernels::simd_fault f = kernels::find_simd_fault();
    return f ? "SIMD self-check FAILED: " + f.primitive : "SIMD self-check passed";
}

SANENET_INLINE std::string build_info() {
    std::string s = "sanenet " + std::to_string(version_major) + "." + std::to_string(version_minor) + "." +
                    std::to_string(version_patch) + ", kernels " + kernels::arch_name() + " (" + std::to_string(kernels::width) +
                    " floats per vector, " + simd_self_check() + "), " + std::to_string(kernels::pool_threads()) + " threads";
    if (const std::string note = simd_note(); !note.empty()) s += "; " + note;
#if !defined(__OPTIMIZE__)
    s += "; built without optimization (-O2 makes it ~10x faster)";
#endif
    return s;
}

}  // namespace sanenet
#endif  // SANENET_DEFINITIONS
