// Version, compiler requirements and the few configuration macros sanenet reads.
#pragma once

#define SANENET_VERSION_MAJOR 0
#define SANENET_VERSION_MINOR 1
#define SANENET_VERSION_PATCH 0

#if !defined(__cplusplus) || __cplusplus < 202002L
#error "sanenet needs C++20 (-std=c++20): floating-point template arguments such as Dropout<0.9> and concepts."
#endif

#if defined(__clang__) && __clang_major__ < 18
#error "sanenet needs clang >= 18: older clang cannot take floating-point template arguments such as Dropout<0.9>."
#elif defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 11
#error "sanenet needs g++ >= 11."
#endif

#if defined(__GNUC__)
#define SANENET_ALWAYS_INLINE inline __attribute__((always_inline))
#define SANENET_RESTRICT __restrict__
#else
#define SANENET_ALWAYS_INLINE inline
#define SANENET_RESTRICT
#endif

// gzip support needs zlib (-lz); define SANENET_WITH_ZLIB=0 to build without it.
#ifndef SANENET_WITH_ZLIB
#if __has_include(<zlib.h>)
#define SANENET_WITH_ZLIB 1
#else
#define SANENET_WITH_ZLIB 0
#endif
#endif

// Header-only or compiled. By default every function is defined in the headers (inline), so
// including <sanenet/sanenet.hpp> is all a program needs. With SANENET_COMPILED_LIB defined,
// the headers only declare the library's non-template functions, and one translation unit
// defines them: the one that also defines SANENET_IMPLEMENTATION before including sanenet
// (src/sanenet.cpp, the CMake target sanenet::compiled), as {fmt}'s FMT_HEADER_ONLY and stb's
// _IMPLEMENTATION do. Each header keeps its declarations on top and the definitions of those
// functions in one `#if SANENET_DEFINITIONS` block, declared and defined SANENET_INLINE.
#if defined(SANENET_COMPILED_LIB) && !defined(SANENET_IMPLEMENTATION)
#define SANENET_DEFINITIONS 0
#else
#define SANENET_DEFINITIONS 1
#endif
#if defined(SANENET_COMPILED_LIB)
#define SANENET_INLINE
#define SANENET_ABI_MODE _compiled
#else
#define SANENET_INLINE inline
#define SANENET_ABI_MODE
#endif

// The ABI namespace. Everything of sanenet is in the inline namespace sanenet::SANENET_ABI,
// whose name carries the configuration: the version, the instruction set the kernels are
// compiled for (the widest the compiler flags enable, as xsimd picks it), zlib on or off,
// whether a compile-time lint threshold (lints/thresholds.hpp) was overridden, and the
// compiled mode. Two TUs built
// with different settings then do not link against each other's sanenet functions (an
// undefined reference naming both), instead of silently sharing one TU's copy of an inline
// function, such as AVX-512 kernels running on a CPU without AVX-512. Users write sn::X as
// always; only the mangled names change (as nlohmann/json's ABI namespace does).
#if defined(__AVX512BW__)
#define SANENET_ABI_ARCH avx512bw
#elif defined(__AVX512DQ__)
#define SANENET_ABI_ARCH avx512dq
#elif defined(__AVX512CD__)
#define SANENET_ABI_ARCH avx512cd
#elif defined(__AVX512F__)
#define SANENET_ABI_ARCH avx512f
#elif defined(__AVX2__) && defined(__FMA__)
#define SANENET_ABI_ARCH fma3_avx2
#elif defined(__AVX2__)
#define SANENET_ABI_ARCH avx2
#elif defined(__AVX__) && defined(__FMA__)
#define SANENET_ABI_ARCH fma3_avx
#elif defined(__AVX__)
#define SANENET_ABI_ARCH avx
#elif defined(__SSE4_2__)
#define SANENET_ABI_ARCH sse4_2
#elif defined(__SSE4_1__)
#define SANENET_ABI_ARCH sse4_1
#elif defined(__SSSE3__)
#define SANENET_ABI_ARCH ssse3
#elif defined(__SSE3__)
#define SANENET_ABI_ARCH sse3
#elif defined(__SSE2__) || defined(_M_X64)
#define SANENET_ABI_ARCH sse2
#elif defined(__aarch64__)
#define SANENET_ABI_ARCH neon64
#elif defined(__ARM_NEON)
#define SANENET_ABI_ARCH neon
#else
#define SANENET_ABI_ARCH generic
#endif
#if defined(SANENET_LINT_MIN_DROPOUT_KEEP) || defined(SANENET_LINT_MAX_DENSE_LAYERS) || \
    defined(SANENET_LINT_HIDDEN_PER_CLASS) || defined(SANENET_LINT_HIDDEN_PER_REGRESSION_IO)
#define SANENET_ABI_THRESHOLDS _custom_thresholds
#else
#define SANENET_ABI_THRESHOLDS
#endif
#if SANENET_WITH_ZLIB
#define SANENET_ABI_ZLIB
#else
#define SANENET_ABI_ZLIB _no_zlib
#endif
// abi_v0_1_avx512bw, abi_v0_1_sse2_no_zlib_custom_thresholds_compiled: the defaults add nothing.
#define SANENET_ABI_JOIN_(v1, v2, arch, zlib, thresholds, mode) abi_v##v1##_##v2##_##arch##zlib##thresholds##mode
#define SANENET_ABI_JOIN(v1, v2, arch, zlib, thresholds, mode) SANENET_ABI_JOIN_(v1, v2, arch, zlib, thresholds, mode)
#define SANENET_ABI                                                                                                            \
    SANENET_ABI_JOIN(SANENET_VERSION_MAJOR, SANENET_VERSION_MINOR, SANENET_ABI_ARCH, SANENET_ABI_ZLIB, SANENET_ABI_THRESHOLDS, \
                     SANENET_ABI_MODE)

namespace sanenet::inline SANENET_ABI {
inline constexpr int version_major = SANENET_VERSION_MAJOR;
inline constexpr int version_minor = SANENET_VERSION_MINOR;
inline constexpr int version_patch = SANENET_VERSION_PATCH;
}  // namespace sanenet
