// Reduced-precision inference: bf16 weights (the upper 16 bits of an fp32, rounded to nearest
// even), fp32 activations and accumulation. A Dense's weights W (k inputs x n outputs, row-major,
// as the model stores them) are packed in pairs of inputs: 32-bit lane (p, j) holds W[2p][j] in its
// low half and W[2p + 1][j] in its high half (zero past the last input). `lane << 16` is then
// W[2p][j] as an fp32 and `lane & 0xFFFF0000` is W[2p + 1][j]: the GEMV's inner loop is one load,
// two integer operations and two FMAs per 2 x width weights, half the bytes of the fp32 GEMV.
#pragma once

#include <sanenet/kernels/simd.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>

SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

// The bf16 nearest to x, ties to even (x finite: a NaN or an infinity is refused before).
constexpr std::uint16_t bf16_from_float(float x) {
    const std::uint32_t u = std::bit_cast<std::uint32_t>(x);
    return static_cast<std::uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
// The fp32 whose value a bf16 holds (exact).
constexpr float float_from_bf16(std::uint16_t h) { return std::bit_cast<float>(static_cast<std::uint32_t>(h) << 16); }
// x rounded to bf16, as an fp32.
constexpr float round_to_bf16(float x) { return float_from_bf16(bf16_from_float(x)); }

// The number of 32-bit lanes W (k x n) packs into.
constexpr std::size_t bf16_packed_size(int k, int n) {
    return static_cast<std::size_t>((k + 1) / 2) * static_cast<std::size_t>(n);
}

// W (k x n, row-major, finite) rounded to bf16 into out (bf16_packed_size(k, n) lanes).
SANENET_INLINE void pack_bf16(const float* w, int k, int n, std::uint32_t* out);

// y[0:n] = x[0:k] W + bias (bias may be null), W packed by pack_bf16. No allocation.
SANENET_INLINE void gemv_bf16(int n, int k, const float* x, const std::uint32_t* w, const float* bias, float* y);

}  // namespace sanenet::kernels
SANENET_KERNELS_END

#if SANENET_DEFINITIONS
SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

namespace detail_bf16 {

// Lanes as the two fp32 weights they hold.
SANENET_ALWAYS_INLINE vfloat low_weights(vuint u) { return xsimd::bitwise_cast<vfloat>(u << 16); }
SANENET_ALWAYS_INLINE vfloat high_weights(vuint u) { return xsimd::bitwise_cast<vfloat>(u & vuint(0xffff0000u)); }

// The first `count` lanes from p, the others zero (load_partial on the bits).
SANENET_ALWAYS_INLINE vuint load_lanes(const std::uint32_t* p, int count) {
    return xsimd::bitwise_cast<vuint>(load_partial(reinterpret_cast<const float*>(p), count));
}

// y[j0 : j0 + Block * width] without the bias: Block accumulators, a run of Block vectors of
// each packed row read contiguously.
template <int Block>
SANENET_ALWAYS_INLINE void block(int j0, int n, int pairs, bool odd_k, const float* x, const std::uint32_t* w, float* y) {
    constexpr int vw = static_cast<int>(width);
    vfloat acc[Block];
#pragma GCC unroll 16
    for (int v = 0; v < Block; ++v) acc[v] = vfloat(0.f);
    for (int p = 0; p < pairs; ++p) {
        const vfloat xe(x[2 * p]), xo(x[2 * p + 1]);
        const std::uint32_t* row = w + static_cast<std::size_t>(p) * n + j0;
#pragma GCC unroll 16
        for (int v = 0; v < Block; ++v) {
            const vuint u = vuint::load_unaligned(row + v * vw);
            acc[v] = xsimd::fma(xe, low_weights(u), acc[v]);
            acc[v] = xsimd::fma(xo, high_weights(u), acc[v]);
        }
    }
    if (odd_k) {
        const vfloat xe(x[2 * pairs]);
        const std::uint32_t* row = w + static_cast<std::size_t>(pairs) * n + j0;
#pragma GCC unroll 16
        for (int v = 0; v < Block; ++v) acc[v] = xsimd::fma(xe, low_weights(vuint::load_unaligned(row + v * vw)), acc[v]);
    }
#pragma GCC unroll 16
    for (int v = 0; v < Block; ++v) acc[v].store_unaligned(y + j0 + v * vw);
}

// y[j0 : j0 + cols] for the last cols < width outputs: masked loads, the even and the odd
// inputs in two accumulators (one vector has no other work to hide the FMA latency behind).
SANENET_ALWAYS_INLINE void tail(int j0, int cols, int n, int pairs, bool odd_k, const float* x, const std::uint32_t* w,
                                float* y) {
    vfloat even(0.f), odd(0.f);
    for (int p = 0; p < pairs; ++p) {
        const vuint u = load_lanes(w + static_cast<std::size_t>(p) * n + j0, cols);
        even = xsimd::fma(vfloat(x[2 * p]), low_weights(u), even);
        odd = xsimd::fma(vfloat(x[2 * p + 1]), high_weights(u), odd);
    }
    if (odd_k)
        even =
            xsimd::fma(vfloat(x[2 * pairs]), low_weights(load_lanes(w + static_cast<std::size_t>(pairs) * n + j0, cols)), even);
    store_partial(y + j0, even + odd, cols);
}

}  // namespace detail_bf16

SANENET_INLINE void pack_bf16(const float* w, int k, int n, std::uint32_t* out) {
    for (int p = 0; 2 * p < k; ++p)
        for (int j = 0; j < n; ++j) {
            const std::uint32_t lo = bf16_from_float(w[static_cast<std::size_t>(2 * p) * n + j]);
            const std::uint32_t hi = 2 * p + 1 < k ? bf16_from_float(w[static_cast<std::size_t>(2 * p + 1) * n + j]) : 0u;
            out[static_cast<std::size_t>(p) * n + j] = lo | (hi << 16);
        }
}

SANENET_INLINE void gemv_bf16(int n, int k, const float* x, const std::uint32_t* w, const float* bias, float* y) {
    using namespace detail_bf16;
    const int vw = static_cast<int>(width);
    const int pairs = k / 2;
    const bool odd_k = k % 2 != 0;
    int j = 0;
    // 16 accumulators and the operands fit AVX-512's 32 registers; with 16 (AVX2, SSE) they would spill.
    if constexpr (width >= 16)
        for (; j + 16 * vw <= n; j += 16 * vw) block<16>(j, n, pairs, odd_k, x, w, y);
    for (; j + 8 * vw <= n; j += 8 * vw) block<8>(j, n, pairs, odd_k, x, w, y);
    for (; j + 4 * vw <= n; j += 4 * vw) block<4>(j, n, pairs, odd_k, x, w, y);
    for (; j + vw <= n; j += vw) block<1>(j, n, pairs, odd_k, x, w, y);
    if (j < n) tail(j, n - j, n, pairs, odd_k, x, w, y);
    if (bias)
        for (int i = 0; i < n; ++i) y[i] += bias[i];
}

}  // namespace sanenet::kernels
SANENET_KERNELS_END
#endif  // SANENET_DEFINITIONS
