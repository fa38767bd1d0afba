// Vectorized elementwise kernels and reductions: activation backward, bias gradients,
// softmax, the fused losses, dropout and noise, norms, finiteness.
#pragma once

#include <sanenet/kernels/activation.hpp>
#include <sanenet/kernels/random.hpp>

#include <cstddef>
#include <cstdint>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <cmath>
#include <limits>
#endif

SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

// d[i] *= f'(y[i]) for the activation whose output is y.
SANENET_INLINE void activation_backward(float* d, const float* y, std::size_t n, act a, float p);

// out[j] = sum_i x[i, j]: the bias gradient.
SANENET_INLINE void column_sums(const float* x, std::size_t rows, std::size_t cols, float* out);

SANENET_INLINE float max_of(const float* x, std::size_t n);

// Row-wise softmax in place, stable (max subtracted).
SANENET_INLINE void softmax_rows(float* x, std::size_t rows, std::size_t cols);

// Activation applied in place (a standalone activation layer, or the output at inference).
SANENET_INLINE void activation_forward(float* x, std::size_t rows, std::size_t cols, act a, float p);

// Softmax cross-entropy from logits. Writes grad = (softmax - onehot) * scale (may alias
// logits) and returns the summed loss over the rows.
SANENET_INLINE double softmax_cross_entropy(const float* logits, const std::int32_t* label, std::size_t rows, std::size_t cols,
                                            float* grad, float scale);

// Sigmoid binary cross-entropy from logits, elementwise: grad = (sigmoid(z) - t) * scale.
SANENET_INLINE double sigmoid_cross_entropy(const float* z, const float* t, std::size_t n, float* grad, float scale);

// Squared error: grad = 2 (y - t) * scale; returns sum (y - t)^2.
SANENET_INLINE double squared_error(const float* y, const float* t, std::size_t n, float* grad, float scale);

SANENET_INLINE double sum_squares(const float* x, std::size_t n);

SANENET_INLINE void scale_in_place(float* x, std::size_t n, float s);

SANENET_INLINE void multiply_in_place(float* x, const float* m, std::size_t n);

SANENET_INLINE bool all_finite(const float* x, std::size_t n);

// The data lints' column statistics of a rows x cols row-major block, in one pass over it.
// Per column j: the sum and the sum of squares of x[., j] - shift[j] (in double, over float
// partial sums of at most column_block rows), the minimum and maximum, and how many values
// equal each. lo, hi (set to any value of the column, the first row say) and the counts
// (zero) are updated in place. Returns whether every value is finite; only then do the
// statistics mean anything.
inline constexpr std::size_t column_block = 64;
struct column_summary {
    double* sum;
    double* sumsq;
    float* lo;
    float* hi;
    std::size_t* at_lo;
    std::size_t* at_hi;
};
SANENET_INLINE bool summarize_columns(const float* x, std::size_t rows, std::size_t cols, const float* shift,
                                      const column_summary& out);

// Inverted dropout: mask = 1/keep with probability keep, else 0; x *= mask. The random
// number of x[i] is that of element first + i, so a range can be done in pieces.
SANENET_INLINE void dropout_forward(float* x, float* mask, std::size_t n, float keep, std::uint64_t key, std::uint32_t first = 0);

// x += stddev * N(0, 1), Box-Muller on counter-based uniforms.
SANENET_INLINE void add_gaussian_noise(float* x, std::size_t n, float stddev, std::uint64_t key);

}  // namespace sanenet::kernels
SANENET_KERNELS_END

#if SANENET_DEFINITIONS
SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

inline constexpr std::size_t w_ = width;

SANENET_INLINE void activation_backward(float* d, const float* y, std::size_t n, act a, float p) {
    dispatch_act(a, [&]<act A>() {
        if constexpr (A == act::identity || A == act::softmax)
            return;
        else {
            std::size_t i = 0;
            for (; i + w_ <= n; i += w_)
                (vfloat::load_unaligned(d + i) * derivative<A>(vfloat::load_unaligned(y + i), p)).store_unaligned(d + i);
            for (; i < n; ++i) d[i] *= derivative<A>(y[i], p);
        }
    });
}

SANENET_INLINE void column_sums(const float* x, std::size_t rows, std::size_t cols, float* out) {
    std::size_t j = 0;
    for (; j + 4 * w_ <= cols; j += 4 * w_) {
        vfloat s0(0.f), s1(0.f), s2(0.f), s3(0.f);
        for (std::size_t i = 0; i < rows; ++i) {
            const float* r = x + i * cols + j;
            s0 += vfloat::load_unaligned(r);
            s1 += vfloat::load_unaligned(r + w_);
            s2 += vfloat::load_unaligned(r + 2 * w_);
            s3 += vfloat::load_unaligned(r + 3 * w_);
        }
        s0.store_unaligned(out + j);
        s1.store_unaligned(out + j + w_);
        s2.store_unaligned(out + j + 2 * w_);
        s3.store_unaligned(out + j + 3 * w_);
    }
    for (; j + w_ <= cols; j += w_) {
        vfloat s(0.f);
        for (std::size_t i = 0; i < rows; ++i) s += vfloat::load_unaligned(x + i * cols + j);
        s.store_unaligned(out + j);
    }
    for (; j < cols; ++j) {
        float s = 0.f;
        for (std::size_t i = 0; i < rows; ++i) s += x[i * cols + j];
        out[j] = s;
    }
}

SANENET_INLINE float max_of(const float* x, std::size_t n) {
    float m = -std::numeric_limits<float>::infinity();
    for (std::size_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
    return m;
}

SANENET_INLINE void softmax_rows(float* x, std::size_t rows, std::size_t cols) {
    for (std::size_t r = 0; r < rows; ++r) {
        float* row = x + r * cols;
        const float m = max_of(row, cols);
        float s = 0.f;
        for (std::size_t j = 0; j < cols; ++j) {
            row[j] = std::exp(row[j] - m);
            s += row[j];
        }
        const float inv = 1.f / s;
        for (std::size_t j = 0; j < cols; ++j) row[j] *= inv;
    }
}

SANENET_INLINE void activation_forward(float* x, std::size_t rows, std::size_t cols, act a, float p) {
    if (a == act::softmax) return softmax_rows(x, rows, cols);
    const std::size_t n = rows * cols;
    dispatch_act(a, [&]<act A>() {
        const std::size_t vectors = n / w_ * w_;
        for (std::size_t i = 0; i < vectors; i += w_) activate<A>(vfloat::load_unaligned(x + i), p).store_unaligned(x + i);
        for (std::size_t i = vectors; i < n; ++i) x[i] = activate<A>(x[i], p);
    });
}

SANENET_INLINE double softmax_cross_entropy(const float* logits, const std::int32_t* label, std::size_t rows, std::size_t cols,
                                            float* grad, float scale) {
    double loss = 0.0;
    for (std::size_t r = 0; r < rows; ++r) {
        const float* z = logits + r * cols;
        float* g = grad + r * cols;
        const float m = max_of(z, cols);
        float s = 0.f;
        for (std::size_t j = 0; j < cols; ++j) s += std::exp(z[j] - m);
        const float log_s = std::log(s);
        const std::size_t y = static_cast<std::size_t>(label[r]);
        loss += static_cast<double>(log_s - (z[y] - m));
        const float inv = 1.f / s;
        for (std::size_t j = 0; j < cols; ++j) g[j] = std::exp(z[j] - m) * inv * scale;
        g[y] -= scale;
    }
    return loss;
}

SANENET_INLINE double sigmoid_cross_entropy(const float* z, const float* t, std::size_t n, float* grad, float scale) {
    double loss = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const float x = z[i];
        loss += static_cast<double>(std::max(x, 0.f) - x * t[i] + std::log1p(std::exp(-std::fabs(x))));
        const float sig = x >= 0.f ? 1.f / (1.f + std::exp(-x)) : std::exp(x) / (1.f + std::exp(x));
        grad[i] = (sig - t[i]) * scale;
    }
    return loss;
}

SANENET_INLINE double squared_error(const float* y, const float* t, std::size_t n, float* grad, float scale) {
    vfloat acc(0.f);
    const vfloat two_s(2.f * scale);
    std::size_t i = 0;
    for (; i + w_ <= n; i += w_) {
        const vfloat d = vfloat::load_unaligned(y + i) - vfloat::load_unaligned(t + i);
        acc = xsimd::fma(d, d, acc);
        if (grad) (d * two_s).store_unaligned(grad + i);
    }
    double loss = static_cast<double>(reduce_add(acc));
    for (; i < n; ++i) {
        const float d = y[i] - t[i];
        loss += static_cast<double>(d * d);
        if (grad) grad[i] = 2.f * d * scale;
    }
    return loss;
}

SANENET_INLINE double sum_squares(const float* x, std::size_t n) {
    vfloat acc(0.f);
    std::size_t i = 0;
    for (; i + w_ <= n; i += w_) {
        const vfloat v = vfloat::load_unaligned(x + i);
        acc = xsimd::fma(v, v, acc);
    }
    double s = static_cast<double>(reduce_add(acc));
    for (; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
    return s;
}

SANENET_INLINE void scale_in_place(float* x, std::size_t n, float s) {
    std::size_t i = 0;
    for (; i + w_ <= n; i += w_) (vfloat::load_unaligned(x + i) * vfloat(s)).store_unaligned(x + i);
    for (; i < n; ++i) x[i] *= s;
}

SANENET_INLINE void multiply_in_place(float* x, const float* m, std::size_t n) {
    std::size_t i = 0;
    for (; i + w_ <= n; i += w_) (vfloat::load_unaligned(x + i) * vfloat::load_unaligned(m + i)).store_unaligned(x + i);
    for (; i < n; ++i) x[i] *= m[i];
}

SANENET_INLINE bool all_finite(const float* x, std::size_t n) {
    // x - x is 0 for finite x and NaN for NaN or Inf.
    vfloat acc(0.f);
    std::size_t i = 0;
    for (; i + w_ <= n; i += w_) {
        const vfloat v = vfloat::load_unaligned(x + i);
        acc += v - v;
    }
    float s = reduce_add(acc);
    for (; i < n; ++i) s += x[i] - x[i];
    return s == 0.f;
}

SANENET_INLINE bool summarize_columns(const float* x, std::size_t rows, std::size_t cols, const float* shift,
                                      const column_summary& out) {
    // Row by row through a block (x is read as it lies in memory), into float accumulators
    // per column; each block then joins the outputs. Columns past the last whole vector are
    // summed in double directly.
    const std::size_t full = cols / w_ * w_;
    aligned_buffer<float> acc(6 * full);
    float *sum = acc.data(), *sumsq = sum + full, *lo = sumsq + full, *hi = lo + full, *n_lo = hi + full, *n_hi = n_lo + full;
    const vfloat one(1.f), zero(0.f);
    vfloat finite(0.f);  // v - v: 0 for finite v, NaN for NaN or Inf
    float finite_tail = 0.f;
    // A block's minimum (maximum) and its count join the column's: a smaller one replaces it,
    // an equal one adds to its count.
    const auto merge = [](float v, std::size_t count, float& best, std::size_t& best_count, bool lower) {
        if (lower ? v < best : v > best)
            best = v, best_count = count;
        else if (v == best)
            best_count += count;
    };
    for (std::size_t r0 = 0; r0 < rows; r0 += column_block) {
        const std::size_t r1 = std::min(rows, r0 + column_block);
        std::fill(sum, sum + full, 0.f);
        std::fill(sumsq, sumsq + full, 0.f);
        std::copy(x + r0 * cols, x + r0 * cols + full, lo);
        std::copy(x + r0 * cols, x + r0 * cols + full, hi);
        std::fill(n_lo, n_lo + full, 0.f);
        std::fill(n_hi, n_hi + full, 0.f);
        for (std::size_t r = r0; r < r1; ++r) {
            const float* row = x + r * cols;
            for (std::size_t j = 0; j < full; j += w_) {  // counts of at most column_block rows: exact in float
                const vfloat v = vfloat::load_unaligned(row + j), d = v - vfloat::load_unaligned(shift + j);
                const vfloat mn = vfloat::load_aligned(lo + j), mx = vfloat::load_aligned(hi + j);
                finite += v - v;
                (vfloat::load_aligned(sum + j) + d).store_aligned(sum + j);
                xsimd::fma(d, d, vfloat::load_aligned(sumsq + j)).store_aligned(sumsq + j);
                xsimd::select(v < mn, one, vfloat::load_aligned(n_lo + j) + xsimd::select(v == mn, one, zero))
                    .store_aligned(n_lo + j);
                xsimd::select(v > mx, one, vfloat::load_aligned(n_hi + j) + xsimd::select(v == mx, one, zero))
                    .store_aligned(n_hi + j);
                xsimd::min(mn, v).store_aligned(lo + j);
                xsimd::max(mx, v).store_aligned(hi + j);
            }
            for (std::size_t j = full; j < cols; ++j) {
                const double d = static_cast<double>(row[j]) - shift[j];
                finite_tail += row[j] - row[j];
                out.sum[j] += d;
                out.sumsq[j] += d * d;
                merge(row[j], 1, out.lo[j], out.at_lo[j], true);
                merge(row[j], 1, out.hi[j], out.at_hi[j], false);
            }
        }
        for (std::size_t j = 0; j < full; ++j) {
            out.sum[j] += sum[j];
            out.sumsq[j] += sumsq[j];
            merge(lo[j], static_cast<std::size_t>(n_lo[j]), out.lo[j], out.at_lo[j], true);
            merge(hi[j], static_cast<std::size_t>(n_hi[j]), out.hi[j], out.at_hi[j], false);
        }
    }
    return reduce_add(finite) == 0.f && finite_tail == 0.f;
}

SANENET_INLINE void dropout_forward(float* x, float* mask, std::size_t n, float keep, std::uint64_t key, std::uint32_t first) {
    const float inv = 1.f / keep;
    std::size_t i = 0;
    for (; i + w_ <= n; i += w_) {
        const vfloat u = bits_to_unit(counter_bits(key, lane_indices(first + static_cast<std::uint32_t>(i))));
        const vfloat m = xsimd::select(u < vfloat(keep), vfloat(inv), vfloat(0.f));
        m.store_unaligned(mask + i);
        (vfloat::load_unaligned(x + i) * m).store_unaligned(x + i);
    }
    for (; i < n; ++i) {
        mask[i] = bits_to_unit(counter_bits(key, first + static_cast<std::uint32_t>(i))) < keep ? inv : 0.f;
        x[i] *= mask[i];
    }
}

SANENET_INLINE void add_gaussian_noise(float* x, std::size_t n, float stddev, std::uint64_t key) {
    const std::uint64_t key2 = key ^ 0x9E3779B97F4A7C15ull;
    for (std::size_t i = 0; i < n; ++i) {
        const float u1 = 1.f - bits_to_unit(counter_bits(key, static_cast<std::uint32_t>(i)));  // (0, 1]
        const float u2 = bits_to_unit(counter_bits(key2, static_cast<std::uint32_t>(i)));
        x[i] += stddev * std::sqrt(-2.f * std::log(u1)) * std::cos(6.2831853f * u2);
    }
}

}  // namespace sanenet::kernels
SANENET_KERNELS_END
#endif  // SANENET_DEFINITIONS
