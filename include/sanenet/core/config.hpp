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

namespace sanenet {
inline constexpr int version_major = SANENET_VERSION_MAJOR;
inline constexpr int version_minor = SANENET_VERSION_MINOR;
inline constexpr int version_patch = SANENET_VERSION_PATCH;
}  // namespace sanenet
