// The only door to xsimd: the vector types of the architecture the compiler flags select,
// and the primitives built on them that xsimd lacks or gets wrong (partial loads and stores,
// transposes, horizontal sums). Nothing in kernels/ depends on a network type.
#pragma once

#include <sanenet/core/config.hpp>

// g++ 12 reports -Wuninitialized and -Wmaybe-uninitialized inside its own AVX-512 intrinsics
// once they are inlined (GCC bug 105593, fixed in 13), and -Warray-bounds for vector loops it
// cannot see are guarded when the buffer's size is a known constant; silence these for the
// kernels and for xsimd's own templates (erf, exp), and for tests that call xsimd directly.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#define SANENET_KERNELS_BEGIN                                                            \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wuninitialized\"") \
        _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"") _Pragma("GCC diagnostic ignored \"-Warray-bounds\"")
#define SANENET_KERNELS_END _Pragma("GCC diagnostic pop")
#else
#define SANENET_KERNELS_BEGIN
#define SANENET_KERNELS_END
#endif

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <utility>
#if SANENET_DEFINITIONS
SANENET_KERNELS_BEGIN
#include <xsimd/xsimd.hpp>
SANENET_KERNELS_END

#if defined(__AVX__)
#include <immintrin.h>
#elif defined(__SSE__)
#include <xmmintrin.h>
#endif
#endif

SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

inline constexpr std::size_t alignment = 64;

// The name of the instruction set the kernels are compiled for (xsimd's).
SANENET_INLINE const char* arch_name();

// A 64-byte aligned buffer that is grown, never shrunk: workspaces are sized once.
template <class T>
class aligned_buffer {
public:
    aligned_buffer() = default;
    explicit aligned_buffer(std::size_t n) { resize(n); }
    aligned_buffer(const aligned_buffer& o) : aligned_buffer(o.size_) { copy_from(o); }
    aligned_buffer& operator=(const aligned_buffer& o) {
        if (this != &o) {
            resize(o.size_);
            copy_from(o);
        }
        return *this;
    }
    aligned_buffer(aligned_buffer&& o) noexcept : p_(o.p_), size_(o.size_), cap_(o.cap_) {
        o.p_ = nullptr;
        o.size_ = o.cap_ = 0;
    }
    aligned_buffer& operator=(aligned_buffer&& o) noexcept {
        std::swap(p_, o.p_);
        std::swap(size_, o.size_);
        std::swap(cap_, o.cap_);
        return *this;
    }
    ~aligned_buffer() { release(); }

    // Grows to n elements (zero-filled when it had to reallocate); keeps the storage otherwise.
    void resize(std::size_t n) {
        if (n > cap_) {
            release();
            const std::size_t bytes = ((n * sizeof(T) + alignment - 1) / alignment) * alignment;
            p_ = static_cast<T*>(::operator new(bytes, std::align_val_t{alignment}));
            for (std::size_t i = 0; i < n; ++i) p_[i] = T{};
            cap_ = n;
        }
        size_ = n;
    }
    void fill(T v) {
        for (std::size_t i = 0; i < size_; ++i) p_[i] = v;
    }
    T* data() noexcept { return p_; }
    const T* data() const noexcept { return p_; }
    std::size_t size() const noexcept { return size_; }
    T& operator[](std::size_t i) noexcept { return p_[i]; }
    const T& operator[](std::size_t i) const noexcept { return p_[i]; }

private:
    void copy_from(const aligned_buffer& o) {
        for (std::size_t i = 0; i < size_; ++i) p_[i] = o.p_[i];
    }
    void release() {
        if (p_) ::operator delete(p_, std::align_val_t{alignment});
        p_ = nullptr;
        size_ = cap_ = 0;
    }
    T* p_ = nullptr;
    std::size_t size_ = 0;
    std::size_t cap_ = 0;
};

}  // namespace sanenet::kernels
SANENET_KERNELS_END

#if SANENET_DEFINITIONS
SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

// xsimd's best architecture for the compiler flags (SSE2 without -m flags on x86-64).
using arch = xsimd::default_arch;
using vfloat = xsimd::batch<float, arch>;
using vuint = xsimd::batch<std::uint32_t, arch>;
inline constexpr std::size_t width = vfloat::size;

// Register tile of the GEMM micro-kernel: MR rows x (NV vectors) columns of C.
// 32 vector registers (AVX-512) hold 8 x 2 accumulators plus B and the broadcasts; 16 hold
// 6 x 2 (4 x 3 would load less per FMA, but g++ then folds B's loads into the FMAs).
inline constexpr int gemm_nv = 2;
inline constexpr int gemm_nr = static_cast<int>(width) * gemm_nv;
inline constexpr int gemm_mr = width >= 16 ? 8 : 6;

#if defined(__AVX__) && !defined(__AVX512F__)
// The 8-lane mask whose first `count` lanes are set: 8 words from (8 - count).
alignas(64) inline constexpr std::int32_t avx_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
inline __m256i avx_first_lanes(int count) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(avx_mask_table + 8 - count));
}
#endif

// The first `count` lanes from p (all of them when count >= width), the others zero,
// without touching memory past p + count: masked loads where the instruction set has them
// (AVX-512, AVX), a copy through the stack otherwise.
inline vfloat load_partial(const float* p, int count) {
    if (count >= static_cast<int>(width)) return vfloat::load_unaligned(p);
#if defined(__AVX512F__)
    if constexpr (width == 16) return vfloat(_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << count) - 1u), p));
#elif defined(__AVX__)
    if constexpr (width == 8) return vfloat(_mm256_maskload_ps(p, avx_first_lanes(count)));
#endif
    // (Bounded by width too: g++ 12 -O2 cannot see that count < width here and warns.)
    alignas(alignment) float tmp[width] = {};
    for (int i = 0; i < count && i < static_cast<int>(width); ++i) tmp[i] = p[i];
    return vfloat::load_aligned(tmp);
}

#if defined(__AVX512F__)
inline constexpr bool has_interleave = width == 16;
// The true 2-way interleave of x and y (xsimd's zip_lo/zip_hi work within 128-bit lanes):
// lo = x0 y0 x1 y1 ... x7 y7, hi = x8 y8 ... x15 y15.
inline vfloat interleave_lo(vfloat x, vfloat y) {
    const __m512i idx = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    return vfloat(_mm512_permutex2var_ps(x, idx, y));
}
inline vfloat interleave_hi(vfloat x, vfloat y) {
    const __m512i idx = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    return vfloat(_mm512_permutex2var_ps(x, idx, y));
}
// Interleaves N (a power of two up to 16) sequences of `width` floats: out holds
// v[0][0], v[1][0], ..., v[N-1][0], v[0][1], ... - a transposition, as packing needs it.
template <int N>
SANENET_ALWAYS_INLINE void interleave(const vfloat* v, vfloat* out) {
    if constexpr (N == 1) {
        out[0] = v[0];
    } else {
        vfloat even_in[N / 2], odd_in[N / 2], even[N / 2], odd[N / 2];
#pragma GCC unroll 16
        for (int i = 0; i < N / 2; ++i) {
            even_in[i] = v[2 * i];
            odd_in[i] = v[2 * i + 1];
        }
        interleave<N / 2>(even_in, even);
        interleave<N / 2>(odd_in, odd);
#pragma GCC unroll 16
        for (int t = 0; t < N / 2; ++t) {
            out[2 * t] = interleave_lo(even[t], odd[t]);
            out[2 * t + 1] = interleave_hi(even[t], odd[t]);
        }
    }
}
#else
inline constexpr bool has_interleave = false;
#endif

#if defined(__SSE__)
// Transposes through SSE registers, for packing without AVX-512. transpose4: the 4 x 4 block
// in[r * in_stride + c] becomes out[c * out_stride + r]. transpose6x4: 6 rows of 4 values
// become 4 groups of 6, out[c * 6 + r], as a 6-row GEMM panel stores them.
// transpose4_first: the same for the first `count` (1-3) columns of the block, nothing read
// past them, `count` rows of out written (the last k % 4 of a panel).
inline constexpr bool has_transpose4 = true;
SANENET_ALWAYS_INLINE void transpose4(const float* in, std::ptrdiff_t in_stride, float* out, std::ptrdiff_t out_stride) {
    __m128 r0 = _mm_loadu_ps(in), r1 = _mm_loadu_ps(in + in_stride), r2 = _mm_loadu_ps(in + 2 * in_stride),
           r3 = _mm_loadu_ps(in + 3 * in_stride);
    _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
    _mm_storeu_ps(out, r0);
    _mm_storeu_ps(out + out_stride, r1);
    _mm_storeu_ps(out + 2 * out_stride, r2);
    _mm_storeu_ps(out + 3 * out_stride, r3);
}
SANENET_ALWAYS_INLINE void transpose4_first(const float* in, std::ptrdiff_t in_stride, float* out, std::ptrdiff_t out_stride,
                                            int count) {
    __m128 r[4];
#if defined(__AVX__)
    const __m128i mask = _mm_cmpgt_epi32(_mm_set1_epi32(count), _mm_setr_epi32(0, 1, 2, 3));
    for (int i = 0; i < 4; ++i) r[i] = _mm_maskload_ps(in + i * in_stride, mask);
#else
    for (int i = 0; i < 4; ++i) {
        alignas(16) float t[4] = {};
        for (int c = 0; c < count; ++c) t[c] = in[i * in_stride + c];
        r[i] = _mm_load_ps(t);
    }
#endif
    _MM_TRANSPOSE4_PS(r[0], r[1], r[2], r[3]);
    for (int c = 0; c < count; ++c) _mm_storeu_ps(out + c * out_stride, r[c]);
}
SANENET_ALWAYS_INLINE void transpose6x4(const float* in, std::ptrdiff_t in_stride, float* out) {
    transpose4(in, in_stride, out, 6);
    const __m128 r4 = _mm_loadu_ps(in + 4 * in_stride), r5 = _mm_loadu_ps(in + 5 * in_stride);
    const __m128 lo = _mm_unpacklo_ps(r4, r5), hi = _mm_unpackhi_ps(r4, r5);  // r4c0 r5c0 r4c1 r5c1, r4c2 r5c2 r4c3 r5c3
    _mm_storel_pi(reinterpret_cast<__m64*>(out + 4), lo);
    _mm_storeh_pi(reinterpret_cast<__m64*>(out + 10), lo);
    _mm_storel_pi(reinterpret_cast<__m64*>(out + 16), hi);
    _mm_storeh_pi(reinterpret_cast<__m64*>(out + 22), hi);
}
#else
inline constexpr bool has_transpose4 = false;
#endif

// Transposes a width x width tile held in width registers: lane j of v[i] becomes lane i of
// v[j] (AVX-512 through interleave, AVX in unpack / shuffle / 128-bit permute steps, SSE
// with _MM_TRANSPOSE4_PS, other targets through memory).
SANENET_ALWAYS_INLINE void transpose_tile(vfloat* v) {
#if defined(__AVX512F__)
    if constexpr (width == 16) {
        vfloat t[16];
        interleave<16>(v, t);
#pragma GCC unroll 16
        for (int i = 0; i < 16; ++i) v[i] = t[i];
        return;
    }
#elif defined(__AVX__)
    if constexpr (width == 8) {
        // Pairs of rows interleaved (t01: lanes 0, 1 of rows 0 and 1 | lanes 4, 5), then
        // quadruples (s0: lane 0 of rows 0-3 | lane 4), then the 128-bit halves swapped.
        const __m256 t01 = _mm256_unpacklo_ps(v[0], v[1]), u01 = _mm256_unpackhi_ps(v[0], v[1]);
        const __m256 t23 = _mm256_unpacklo_ps(v[2], v[3]), u23 = _mm256_unpackhi_ps(v[2], v[3]);
        const __m256 t45 = _mm256_unpacklo_ps(v[4], v[5]), u45 = _mm256_unpackhi_ps(v[4], v[5]);
        const __m256 t67 = _mm256_unpacklo_ps(v[6], v[7]), u67 = _mm256_unpackhi_ps(v[6], v[7]);
        const __m256 s0 = _mm256_shuffle_ps(t01, t23, _MM_SHUFFLE(1, 0, 1, 0)),
                     s1 = _mm256_shuffle_ps(t01, t23, _MM_SHUFFLE(3, 2, 3, 2));
        const __m256 s2 = _mm256_shuffle_ps(u01, u23, _MM_SHUFFLE(1, 0, 1, 0)),
                     s3 = _mm256_shuffle_ps(u01, u23, _MM_SHUFFLE(3, 2, 3, 2));
        const __m256 s4 = _mm256_shuffle_ps(t45, t67, _MM_SHUFFLE(1, 0, 1, 0)),
                     s5 = _mm256_shuffle_ps(t45, t67, _MM_SHUFFLE(3, 2, 3, 2));
        const __m256 s6 = _mm256_shuffle_ps(u45, u67, _MM_SHUFFLE(1, 0, 1, 0)),
                     s7 = _mm256_shuffle_ps(u45, u67, _MM_SHUFFLE(3, 2, 3, 2));
        v[0] = vfloat(_mm256_permute2f128_ps(s0, s4, 0x20)), v[4] = vfloat(_mm256_permute2f128_ps(s0, s4, 0x31));
        v[1] = vfloat(_mm256_permute2f128_ps(s1, s5, 0x20)), v[5] = vfloat(_mm256_permute2f128_ps(s1, s5, 0x31));
        v[2] = vfloat(_mm256_permute2f128_ps(s2, s6, 0x20)), v[6] = vfloat(_mm256_permute2f128_ps(s2, s6, 0x31));
        v[3] = vfloat(_mm256_permute2f128_ps(s3, s7, 0x20)), v[7] = vfloat(_mm256_permute2f128_ps(s3, s7, 0x31));
        return;
    }
#elif defined(__SSE__)
    if constexpr (width == 4) {
        __m128 r0 = v[0], r1 = v[1], r2 = v[2], r3 = v[3];
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
        v[0] = vfloat(r0), v[1] = vfloat(r1), v[2] = vfloat(r2), v[3] = vfloat(r3);
        return;
    }
#endif
    alignas(alignment) float t[width * width];
    for (std::size_t i = 0; i < width; ++i) v[i].store_aligned(t + i * width);
    for (std::size_t i = 0; i < width; ++i)
        for (std::size_t j = 0; j < i; ++j) std::swap(t[i * width + j], t[j * width + i]);
    for (std::size_t i = 0; i < width; ++i) v[i] = vfloat::load_aligned(t + i * width);
}

// Horizontal sums, sanenet's own: xsimd 8.1's AVX-512 haddp returns its 16 sums in a
// permuted lane order, so these are built from stores, shuffles and transpose_tile, which the
// tests and the self-check (self_check.hpp) compare with scalar code at every width.
// The sum of v's lanes, added pairwise.
SANENET_ALWAYS_INLINE float reduce_add(vfloat v) {
    alignas(alignment) float t[width];
    v.store_aligned(t);
    for (std::size_t half = width / 2; half > 0; half /= 2)
        for (std::size_t i = 0; i < half; ++i) t[i] += t[i + half];
    return t[0];
}
// Lane r of the result is the sum of v[r]'s lanes, for width vectors v[0..width).
// With AVX-512 and AVX, the vectors are added in pairs as they are shuffled together (pairs,
// then quadruples, then 128-bit blocks): 45 shuffles and adds for 16 vectors, 21 for 8, against
// 79 and 31 for a transpose and then a sum of its rows.
SANENET_ALWAYS_INLINE vfloat reduce_add_each(const vfloat* v) {
#if defined(__AVX512F__)
    if constexpr (width == 16) {
        __m512 pairs[8], quads[4], halves[2];
#pragma GCC unroll 8
        for (int p = 0; p < 8; ++p)  // each 128-bit block: v[2p] lanes 0+2, v[2p+1] lanes 0+2, v[2p] 1+3, v[2p+1] 1+3
            pairs[p] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * p], v[2 * p + 1]), _mm512_unpackhi_ps(v[2 * p], v[2 * p + 1]));
#pragma GCC unroll 4
        for (int q = 0; q < 4; ++q)  // each 128-bit block: the block's sums of v[4q], ..., v[4q + 3]
            quads[q] = _mm512_add_ps(_mm512_shuffle_ps(pairs[2 * q], pairs[2 * q + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                                     _mm512_shuffle_ps(pairs[2 * q], pairs[2 * q + 1], _MM_SHUFFLE(3, 2, 3, 2)));
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h)  // blocks 0 + 1 and 2 + 3 of quads[2h], then of quads[2h + 1]
            halves[h] = _mm512_add_ps(_mm512_shuffle_f32x4(quads[2 * h], quads[2 * h + 1], 0x88),
                                      _mm512_shuffle_f32x4(quads[2 * h], quads[2 * h + 1], 0xDD));
        return vfloat(
            _mm512_add_ps(_mm512_shuffle_f32x4(halves[0], halves[1], 0x88), _mm512_shuffle_f32x4(halves[0], halves[1], 0xDD)));
    }
#elif defined(__AVX__)
    if constexpr (width == 8) {
        __m256 pairs[4], quads[2];
#pragma GCC unroll 4
        for (int p = 0; p < 4; ++p)
            pairs[p] = _mm256_add_ps(_mm256_unpacklo_ps(v[2 * p], v[2 * p + 1]), _mm256_unpackhi_ps(v[2 * p], v[2 * p + 1]));
#pragma GCC unroll 2
        for (int q = 0; q < 2; ++q)
            quads[q] = _mm256_add_ps(_mm256_shuffle_ps(pairs[2 * q], pairs[2 * q + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                                     _mm256_shuffle_ps(pairs[2 * q], pairs[2 * q + 1], _MM_SHUFFLE(3, 2, 3, 2)));
        return vfloat(
            _mm256_add_ps(_mm256_permute2f128_ps(quads[0], quads[1], 0x20), _mm256_permute2f128_ps(quads[0], quads[1], 0x31)));
    }
#endif
    vfloat t[width];
#pragma GCC unroll 16
    for (std::size_t i = 0; i < width; ++i) t[i] = v[i];
    transpose_tile(t);
#pragma GCC unroll 4
    for (std::size_t half = width / 2; half > 0; half /= 2)
#pragma GCC unroll 16
        for (std::size_t i = 0; i < half; ++i) t[i] += t[i + half];
    return t[0];
}

// The first `count` lanes of v to p (all of them when count >= width), nothing past p + count.
inline void store_partial(float* p, vfloat v, int count) {
    if (count >= static_cast<int>(width)) return v.store_unaligned(p);
#if defined(__AVX512F__)
    if constexpr (width == 16) {
        _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << count) - 1u), v);
        return;
    }
#elif defined(__AVX__)
    // 4, 2 and 1 lanes by plain stores: a masked store (vmaskmovps) is slow on AMD
    // (docs/kernel-tuning.md).
    if constexpr (width == 8) {
        __m128 lo = _mm256_castps256_ps128(v);
        if (count & 4) {
            _mm_storeu_ps(p, lo);
            lo = _mm256_extractf128_ps(v, 1);
            p += 4;
        }
        if (count & 2) {
            _mm_storel_pi(reinterpret_cast<__m64*>(p), lo);
            lo = _mm_movehl_ps(lo, lo);
            p += 2;
        }
        if (count & 1) _mm_store_ss(p, lo);
        return;
    }
#endif
    alignas(alignment) float tmp[width];
    v.store_aligned(tmp);
    for (int i = 0; i < count; ++i) p[i] = tmp[i];
}

SANENET_INLINE const char* arch_name() { return arch::name(); }

}  // namespace sanenet::kernels
SANENET_KERNELS_END
#endif  // SANENET_DEFINITIONS
