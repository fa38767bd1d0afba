// Reduced-precision inference: bf16 weights (the upper 16 bits of an fp32, rounded to nearest
// even), fp32 activations and accumulation. A Dense's weights W (k inputs x n outputs, row-major,
// as the model stores them) are packed in pairs of inputs: 32-bit lane (p, j) holds W[2p][j] in its
// low half and W[2p + 1][j] in its high half (zero past the last input), stored column block by
// column block (each block's pairs contiguous, gemv_bf16's blocking). `lane << 16` is then
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

// W (k x n, row-major, finite) rounded to bf16 into out (bf16_packed_size(k, n) lanes). The
// column blocks follow this build's vector width: pack and run in the same build.
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

// The outputs are computed in column blocks of 16 vectors (AVX-512: 32 registers hold the 16
// accumulators and the operands), 8 (16 registers: AVX2, SSE2, where 16 would spill), 4 and 1,
// then a tail of fewer than width. The width of the block that starts at output j.
inline int block_cols(int j, int n) {
    constexpr int vw = static_cast<int>(width);
    const int rest = n - j;
    for (int b : {width >= 16 ? 16 : 8, 8, 4, 1})
        if (rest >= b * vw) return b * vw;
    return rest;
}

// The packed lanes of one column block [j0, j0 + c): `panel` (at j0 x pairs in the packed W),
// pair p's c lanes at panel + p c, so that a block reads one contiguous run (the hardware
// prefetcher's easiest stream).
template <int Block>
SANENET_ALWAYS_INLINE void block(int pairs, bool odd_k, const float* x, const std::uint32_t* panel, float* y) {
    constexpr int vw = static_cast<int>(width);
    vfloat acc[Block];
#pragma GCC unroll 16
    for (int v = 0; v < Block; ++v) acc[v] = vfloat(0.f);
    for (int p = 0; p < pairs; ++p) {
        const vfloat xe(x[2 * p]), xo(x[2 * p + 1]);
        const std::uint32_t* row = panel + static_cast<std::size_t>(p) * (Block * vw);
#pragma GCC unroll 16
        for (int v = 0; v < Block; ++v) {
            const vuint u = vuint::load_unaligned(row + v * vw);
            acc[v] = xsimd::fma(xe, low_weights(u), acc[v]);
            acc[v] = xsimd::fma(xo, high_weights(u), acc[v]);
        }
    }
    if (odd_k) {
        const vfloat xe(x[2 * pairs]);
        const std::uint32_t* row = panel + static_cast<std::size_t>(pairs) * (Block * vw);
#pragma GCC unroll 16
        for (int v = 0; v < Block; ++v) acc[v] = xsimd::fma(xe, low_weights(vuint::load_unaligned(row + v * vw)), acc[v]);
    }
#pragma GCC unroll 16
    for (int v = 0; v < Block; ++v) acc[v].store_unaligned(y + v * vw);
}

// The last cols < width outputs: masked loads, the even and the odd inputs in two accumulators
// (one vector has no other work to hide the FMA latency behind).
SANENET_ALWAYS_INLINE void tail(int cols, int pairs, bool odd_k, const float* x, const std::uint32_t* panel, float* y) {
    vfloat even(0.f), odd(0.f);
    for (int p = 0; p < pairs; ++p) {
        const vuint u = load_lanes(panel + static_cast<std::size_t>(p) * cols, cols);
        even = xsimd::fma(vfloat(x[2 * p]), low_weights(u), even);
        odd = xsimd::fma(vfloat(x[2 * p + 1]), high_weights(u), odd);
    }
    if (odd_k)
        even =
            xsimd::fma(vfloat(x[2 * pairs]), low_weights(load_lanes(panel + static_cast<std::size_t>(pairs) * cols, cols)), even);
    store_partial(y, even + odd, cols);
}

}  // namespace detail_bf16

SANENET_INLINE void pack_bf16(const float* w, int k, int n, std::uint32_t* out) {
    const int rows = (k + 1) / 2;
    for (int j0 = 0; j0 < n;) {
        const int c = detail_bf16::block_cols(j0, n);
        std::uint32_t* panel = out + static_cast<std::size_t>(j0) * rows;
        for (int p = 0; p < rows; ++p)
            for (int jj = 0; jj < c; ++jj) {
                const std::size_t j = static_cast<std::size_t>(j0 + jj);
                const std::uint32_t lo = bf16_from_float(w[static_cast<std::size_t>(2 * p) * n + j]);
                const std::uint32_t hi = 2 * p + 1 < k ? bf16_from_float(w[static_cast<std::size_t>(2 * p + 1) * n + j]) : 0u;
                panel[static_cast<std::size_t>(p) * c + jj] = lo | (hi << 16);
            }
        j0 += c;
    }
}

SANENET_INLINE void gemv_bf16(int n, int k, const float* x, const std::uint32_t* w, const float* bias, float* y) {
    using namespace detail_bf16;
    constexpr int vw = static_cast<int>(width);
    const int pairs = k / 2, rows = (k + 1) / 2;
    const bool odd_k = k % 2 != 0;
    for (int j = 0; j < n;) {
        const int c = block_cols(j, n);
        const std::uint32_t* panel = w + static_cast<std::size_t>(j) * rows;
        if constexpr (width >= 16)
            if (c == 16 * vw) block<16>(pairs, odd_k, x, panel, y + j);
        if (c == 8 * vw) block<8>(pairs, odd_k, x, panel, y + j);
        if (c == 4 * vw) block<4>(pairs, odd_k, x, panel, y + j);
        if (c == vw) block<1>(pairs, odd_k, x, panel, y + j);
        if (c < vw) tail(c, pairs, odd_k, x, panel, y + j);
        j += c;
    }
    if (bias)
        for (int i = 0; i < n; ++i) y[i] += bias[i];
}

}  // namespace sanenet::kernels
SANENET_KERNELS_END
#endif  // SANENET_DEFINITIONS
