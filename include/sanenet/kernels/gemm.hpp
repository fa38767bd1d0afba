// Packed, cache-blocked GEMM with an xsimd register-tile micro-kernel, bias + activation
// fused into the epilogue, a GEMV path for single rows (predict_one, batch 1) and a
// dot-product path for a few rows against a transposed B (dX at small batches).
// Operands are strided views, so the forward GEMM (X W), dX = dY W^T and dW = X^T dY
// are all this one routine; transposes are absorbed by the packing.
#pragma once

#include <sanenet/kernels/activation.hpp>
#include <sanenet/kernels/thread_pool.hpp>

#include <cstddef>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <cstring>
#include <type_traits>
#endif

SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

// Element (i, j) of an operand is p[i * rs + j * cs].
struct operand {
    const float* p;
    std::ptrdiff_t rs;
    std::ptrdiff_t cs;
    float at(std::ptrdiff_t i, std::ptrdiff_t j) const { return p[i * rs + j * cs]; }
};
inline operand row_major(const float* p, std::ptrdiff_t cols) { return {p, cols, 1}; }
inline operand transposed(const float* p, std::ptrdiff_t cols) { return {p, 1, cols}; }

// What happens to C after the product: + bias[j], then the activation.
struct epilogue {
    const float* bias = nullptr;
    act a = act::identity;
    float param = 0.f;
};

namespace detail_gemm {
// Below this many multiply-adds a second thread costs more than it saves. (Declared with the
// types: tests/unit/test_fit.cpp sizes its threaded GEMMs by it.)
inline constexpr double parallel_min_fma = 1 << 19;
}  // namespace detail_gemm

// Sizes the packing buffers of every pool thread now, so that no later GEMM allocates.
SANENET_INLINE void prepare_gemm_threads();

// C[m x n] (row stride ldc) = A[m x k] B[k x n] (+ C when accumulate); then + bias, activation.
// Splits the work over up to `threads` threads in whole register tiles; the result does not
// depend on the split (every element is computed in the same order).
SANENET_INLINE void gemm(int m, int n, int k, operand A, operand B, float* C, std::ptrdiff_t ldc, const epilogue& ep = {},
                         bool accumulate = false, int threads = 1);

}  // namespace sanenet::kernels
SANENET_KERNELS_END

#if SANENET_DEFINITIONS
SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

namespace detail_gemm {

inline constexpr int mr = gemm_mr;
inline constexpr int nr = gemm_nr;
inline constexpr int nv = gemm_nv;
inline constexpr int kc_max = 256;
inline constexpr int mc_max = mr * 16;
inline constexpr int nc_max = 512 / nr * nr;  // whole panels: packing writes nr columns at a time
// B's rows are read in place below this stride (floats); farther apart, a panel's rows fall
// into few L1 sets and packing pays, sooner for AVX2's 16-float panels (docs/kernel-tuning.md).
inline constexpr int direct_b_max_stride = width >= 16 ? 512 : 128;
inline constexpr int direct_b_min_m = 32;
// Up to this k, a GEMM is a rank-k update computed row by row (faster than packing).
inline constexpr int small_k_max = 4;
// C = A B with B's columns contiguous along k (B^T stored): up to gemv_rows_max rows, a GEMV
// per row; up to dots_rows_max, dot products with the rows in the lanes (gemm_dots); beyond,
// the packed GEMM, which the dots path no longer beats (docs/kernel-tuning.md). With 8 or 16
// lanes a GEMV's dot products cost one FMA per vector and a share of reduce_add_each, and rows
// one by one win up to 4; with SSE2's 4 lanes at 2.
inline constexpr int gemv_rows_max = width >= 8 ? 4 : 2;
inline constexpr int dots_rows_max = 16;

// Per-thread packing buffers, sized once on first use.
struct pack_buffers {
    aligned_buffer<float> a{static_cast<std::size_t>(mc_max) * kc_max};
    aligned_buffer<float> b{static_cast<std::size_t>(kc_max) * nc_max};
};
inline pack_buffers& buffers() {
    thread_local pack_buffers b;
    return b;
}

// The rows of A a panel takes when `rest` rows of the block are left, and the height it is
// packed and computed at (the micro-kernel's MR; rows below it are zeros). With 6-row tiles
// (AVX2) the last 7 or 8 rows are two 4-row tiles: a 6 x 2-vector tile takes 6 cycles per k
// (12 FMAs, two a cycle), a 4- or 2-row one 4 (FMA latency), so 6 + 2 costs 10 and 4 + 4 costs 8.
inline int panel_rows(int rest) { return mr == 6 && (rest == 7 || rest == 8) ? 4 : std::min(mr, rest); }
inline int panel_height(int rows) { return rows > 4 ? mr : rows > 2 ? 4 : 2; }

// A[ic:ic+mc, pc:pc+kc] into panels of panel_rows rows, k-major inside a panel (panel_height
// values per k, zero-padded), the panel at row ip starting at out + ip * kc.
inline void pack_a(const operand& A, int ic, int mc, int pc, int kc, float* out) {
    for (int ip = 0, rows = 0; ip < mc; ip += rows) {
        rows = panel_rows(mc - ip);
        const int h = panel_height(rows);
        float* dst = out + static_cast<std::ptrdiff_t>(ip) * kc;
        const float* a0 = A.p + (ic + ip) * A.rs + pc * A.cs;
        if (A.cs == 1) {
            int k = 0;
#if defined(__AVX512F__)
            // Row-major A: load width values from each of the mr rows, interleave them.
            if constexpr (has_interleave && mr == 8) {
                constexpr int w = static_cast<int>(width);
                for (; h == mr && k + w <= kc; k += w) {
                    vfloat v[mr], t[mr];
#pragma GCC unroll 16
                    for (int i = 0; i < mr; ++i) v[i] = i < rows ? vfloat::load_unaligned(a0 + i * A.rs + k) : vfloat(0.f);
                    interleave<mr>(v, t);
#pragma GCC unroll 16
                    for (int i = 0; i < mr; ++i) t[i].store_unaligned(dst + k * mr + i * w);
                }
            }
#endif
            // Full 6- and 4-row panels (AVX2, SSE): 6 x 4 and 4 x 4 blocks transposed in registers.
            if constexpr (has_transpose4) {
                if (rows == 6 && h == 6)
                    for (; k + 4 <= kc; k += 4) transpose6x4(a0 + k, A.rs, dst + k * 6);
                if (rows == 4 && h == 4)
                    for (; k + 4 <= kc; k += 4) transpose4(a0 + k, A.rs, dst + k * 4, 4);
            }
            for (int i = 0; i < h; ++i)
                for (int kk = k; kk < kc; ++kk) dst[kk * h + i] = i < rows ? a0[i * A.rs + kk] : 0.f;
        } else if (A.rs == 1 && rows == h) {
            // A transposed (X^T in dW = X^T dY): each k is h contiguous values. A full panel's
            // copies have a fixed size, so that they are single moves: with h unknown g++ copied
            // one float at a time (pack_a: 6.4% of a batch-32 training run's samples, 1.8% now).
            const auto copy = [&](auto height) {
                for (int k = 0; k < kc; ++k)
                    std::memcpy(dst + k * height, a0 + k * A.cs, static_cast<std::size_t>(height) * sizeof(float));
            };
            if (h == mr)
                copy(std::integral_constant<int, mr>{});
            else
                copy(h);
        } else {
            for (int k = 0; k < kc; ++k)
                for (int i = 0; i < h; ++i) dst[k * h + i] = i < rows ? a0[k * A.cs + i * A.rs] : 0.f;
        }
    }
}

// Rows [k0, k0 + rows), columns [jc, jc + nc) of a row-major B into the NR-wide panels of
// panel_kc rows at dst (dst: row k0 of the first; zero-padded columns), read row by row so that B
// streams in order; panel by panel, each row would be fetched 64 bytes at a time.
inline void pack_b_rows(const operand& B, int k0, int rows, int jc, int nc, float* dst, std::ptrdiff_t panel_kc) {
    constexpr int w = static_cast<int>(width);
    const int full = nc / nr * nr;
    for (int k = 0; k < rows; ++k) {
        const float* src = B.p + (k0 + k) * B.rs + jc;
        float* d = dst + k * nr;
        for (int jr = 0; jr < full; jr += nr)
#pragma GCC unroll 4
            for (int v = 0; v < nv; ++v) vfloat::load_unaligned(src + jr + v * w).store_unaligned(d + jr * panel_kc + v * w);
        if (full < nc)
            for (int v = 0; v < nv; ++v) {
                const int c = std::min(w, nc - full - v * w);
                (c > 0 ? load_partial(src + full + v * w, c) : vfloat(0.f)).store_unaligned(d + full * panel_kc + v * w);
            }
    }
}

// B[pc:pc+kc, jc:jc+cols] as one NR-wide panel (k-major), zero-padded columns (a row-major
// B through pack_b_rows: one panel, so no panel stride).
inline void pack_b_panel(const operand& B, int pc, int kc, int jc, int cols, float* dst) {
    if (B.cs == 1) return pack_b_rows(B, pc, kc, jc, cols, dst, 0);
    int k = 0;
#if defined(__AVX512F__)
    constexpr int w = static_cast<int>(width);
    // Column j of B is contiguous along k (a transposed weight matrix): load width values of
    // each of width columns and interleave them into width rows of the panel.
    if constexpr (has_interleave) {
        if (B.rs == 1)
            for (; k + w <= kc; k += w)
                for (int v = 0; v < nv; ++v) {
                    vfloat c[w], t[w];
#pragma GCC unroll 16
                    for (int j = 0; j < w; ++j)
                        c[j] = v * w + j < cols ? vfloat::load_unaligned(B.p + (jc + v * w + j) * B.cs + pc + k) : vfloat(0.f);
                    interleave<w>(c, t);
#pragma GCC unroll 16
                    for (int kk = 0; kk < w; ++kk) t[kk].store_unaligned(dst + (k + kk) * nr + v * w);
                }
    }
#endif
    // Without AVX-512: 4 x 4 blocks of the transposed weights transposed in registers, the
    // last k % 4 rows too (one float at a time, they would dominate the packing of a short
    // k); they do columns [0, jv) of the panel.
    int jv = 0;
    if constexpr (has_transpose4 && !has_interleave) {
        if (B.rs == 1) {
            jv = cols / 4 * 4;
            const int kv = kc / 4 * 4;
            for (int j0 = 0; j0 < jv; j0 += 4) {
                const float* src = B.p + (jc + j0) * B.cs + pc;
                for (int kk = 0; kk < kv; kk += 4) transpose4(src + kk, B.cs, dst + kk * nr + j0, nr);
                if (kv < kc) transpose4_first(src + kv, B.cs, dst + kv * nr + j0, nr, kc - kv);
            }
        }
    }
    for (int j = 0; j < nr; ++j) {
        const float* src = B.p + (jc + j) * B.cs + pc * B.rs;
        for (int kk = j < jv ? kc : k; kk < kc; ++kk) dst[kk * nr + j] = j < cols ? src[kk * B.rs] : 0.f;
    }
}

// C tile (rows x cols valid) = [C +] a_panel * b_panel over kc, MR (the panel's height) rows
// and NV vectors: a panel is computed only as tall and as wide as it is (the two 4-row tiles
// that end a batch of 32 after 6-row ones, the 10 outputs of a classifier).
template <int NV, int MR>
void micro_kernel(int kc, const float* SANENET_RESTRICT a, const float* SANENET_RESTRICT b, std::ptrdiff_t ldb, float* c,
                  std::ptrdiff_t ldc, int rows, int cols, bool load_c) {
    constexpr int w = static_cast<int>(width);
    // C's rows lie a matrix row apart and miss the cache: fetch them while the k loop runs.
    for (int i = 0; i < rows; ++i) {
        __builtin_prefetch(c + i * ldc, 1);
        __builtin_prefetch(c + i * ldc + cols - 1, 1);
    }
    vfloat acc[MR][NV];
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[i][v] = vfloat(0.f);
#pragma GCC unroll 4
    for (int k = 0; k < kc; ++k) {
        vfloat bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) bv[v] = vfloat::load_unaligned(b + k * ldb + v * w);
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i) {
            const vfloat ai(a[k * MR + i]);
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) acc[i][v] = xsimd::fma(ai, bv[v], acc[i][v]);
        }
    }
    if (rows == MR && cols == NV * w) {
#pragma GCC unroll 16
        for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
            for (int v = 0; v < NV; ++v) {
                float* cp = c + i * ldc + v * w;
                const vfloat x = load_c ? acc[i][v] + vfloat::load_unaligned(cp) : acc[i][v];
                x.store_unaligned(cp);
            }
        return;
    }
    for (int i = 0; i < rows; ++i)
        for (int v = 0; v < NV && v * w < cols; ++v) {
            const int count = std::min(w, cols - v * w);
            float* cp = c + i * ldc + v * w;
            store_partial(cp, load_c ? acc[i][v] + load_partial(cp, count) : acc[i][v], count);
        }
}

// The micro-kernel for a panel of `rows` rows (packed at panel_height) and `cols` (<= nr = 2
// vectors) columns.
inline void micro_kernel_for(int kc, const float* a, const float* b, std::ptrdiff_t ldb, float* c, std::ptrdiff_t ldc, int rows,
                             int cols, bool load_c) {
    static_assert(nv == 2);
    const auto run = [&]<int MR>() {
        if (cols > static_cast<int>(width))
            micro_kernel<2, MR>(kc, a, b, ldb, c, ldc, rows, cols, load_c);
        else
            micro_kernel<1, MR>(kc, a, b, ldb, c, ldc, rows, cols, load_c);
    };
    const int h = panel_height(rows);
    if (h == mr)
        run.template operator()<mr>();
    else if (h == 4)
        run.template operator()<4>();
    else
        run.template operator()<2>();
}

// Bias and activation over a block of C, columns [j0, j0 + cols), while it is hot in cache.
template <act A>
void apply_epilogue_as(float* c, std::ptrdiff_t ldc, int rows, int j0, int cols, const epilogue& ep) {
    const int w = static_cast<int>(width);
    for (int i = 0; i < rows; ++i) {
        float* row = c + i * ldc + j0;
        const float* bias = ep.bias ? ep.bias + j0 : nullptr;
        int j = 0;
        for (; j + w <= cols; j += w) {
            vfloat x = vfloat::load_unaligned(row + j);
            if (bias) x += vfloat::load_unaligned(bias + j);
            activate<A>(x, ep.param).store_unaligned(row + j);
        }
        for (; j < cols; ++j) row[j] = activate<A>(bias ? row[j] + bias[j] : row[j], ep.param);
    }
}

inline void apply_epilogue(float* c, std::ptrdiff_t ldc, int rows, int j0, int cols, const epilogue& ep) {
    if (ep.a == act::identity && !ep.bias) return;
    dispatch_act(ep.a, [&]<act A>() { apply_epilogue_as<A>(c, ldc, rows, j0, cols, ep); });
}

// k in equal blocks of a multiple of 4 (784 = 4 x 196, not 3 x 256 + 16: a short last block
// costs a pass over C).
struct k_split {
    int step;
    explicit k_split(int k) {
        const int blocks = (k + kc_max - 1) / kc_max;
        step = ((k + blocks - 1) / blocks + 3) / 4 * 4;
    }
};

// B packed whole, shared by the threads: block (jc, pc) of kc_step x nc_max floats, panels of
// kc x nr inside it as run_block packs them.
struct packed_b_layout {
    int n, k;
    k_split ks;
    int k_blocks() const { return (k + ks.step - 1) / ks.step; }
    int panels() const { return (n + nr - 1) / nr; }
    int column_blocks() const { return (n + nc_max - 1) / nc_max; }
    // pack_b_task's units: rows of a column block for a row-major B, else (k block, panel).
    int pack_units(const operand& B) const { return B.cs == 1 ? column_blocks() * k : k_blocks() * panels(); }
    std::size_t size() const { return static_cast<std::size_t>(column_blocks()) * k_blocks() * ks.step * nc_max; }
    std::ptrdiff_t panel(int jc, int pc, int jr) const {
        return (static_cast<std::ptrdiff_t>(jc / nc_max) * k_blocks() + pc / ks.step) * ks.step * nc_max +
               static_cast<std::ptrdiff_t>(jr) * std::min(ks.step, k - pc);
    }
};
inline aligned_buffer<float>& shared_b_buffer() {
    thread_local aligned_buffer<float> b;  // of the calling thread, grown to the largest B
    return b;
}

struct job {
    int m, n, k;
    operand A, B;
    float* C;
    std::ptrdiff_t ldc;
    const epilogue* ep;
    bool accumulate;
    bool split_rows;  // tasks own rows of C (B read in place or packed once for all) or columns (each packs its B)
    int per_task;  // rows (a multiple of mr) or NR panels per task
    bool direct_b;  // B's rows read in place
    const float* packed_b = nullptr;  // B packed by pack_b_task, laid out as packed_b_layout
};

// Contiguous rows of B are read in place, unless they lie so far apart that they alias in
// the L1 cache and miss the TLB, and there are enough rows of A to repay a copy.
inline bool reads_b_in_place(const operand& B, int m) { return B.cs == 1 && (B.rs < direct_b_max_stride || m < direct_b_min_m); }

// C[r0:r1, c0:c1]. Every element is computed the same way whatever the block, so results
// do not depend on how the work is split.
inline void run_block(const job& jb, int r0, int r1, int c0, int c1) {
    pack_buffers& buf = buffers();
    const packed_b_layout layout{jb.n, jb.k, k_split(jb.k)};
    const int kc_step = layout.ks.step;
    for (int jc = c0; jc < c1; jc += nc_max) {
        const int nc = std::min(nc_max, c1 - jc);
        for (int pc = 0; pc < jb.k; pc += kc_step) {
            const int kc = std::min(kc_step, jb.k - pc);
            const bool load_c = pc > 0 || jb.accumulate;
            const bool last = pc + kc == jb.k;
            // B into this thread's buffer, unless packed for all threads: row-major B whole
            // (row by row), else panel by panel, or only a last narrow panel when read in place.
            if (!jb.packed_b) {
                if (!jb.direct_b && jb.B.cs == 1)
                    pack_b_rows(jb.B, pc, kc, jc, nc, buf.b.data(), kc);
                else
                    for (int jr = 0; jr < nc; jr += nr) {
                        const int cols = std::min(nr, nc - jr);
                        if (!jb.direct_b || cols < nr)
                            pack_b_panel(jb.B, pc, kc, jc + jr, cols, buf.b.data() + static_cast<std::ptrdiff_t>(jr) * kc);
                    }
            }
            for (int ic = r0; ic < r1; ic += mc_max) {
                const int mc = std::min(mc_max, r1 - ic);
                pack_a(jb.A, ic, mc, pc, kc, buf.a.data());
                for (int jr = 0; jr < nc; jr += nr) {
                    const int cols = std::min(nr, nc - jr);
                    const bool packed = !jb.direct_b || cols < nr;
                    const float* bp = jb.packed_b ? jb.packed_b + layout.panel(jc, pc, jr)
                                      : packed    ? buf.b.data() + static_cast<std::ptrdiff_t>(jr) * kc
                                                  : jb.B.p + pc * jb.B.rs + jc + jr;
                    const std::ptrdiff_t ldb = packed ? nr : jb.B.rs;
                    for (int ir = 0, rows = 0; ir < mc; ir += rows) {
                        rows = panel_rows(mc - ir);
                        float* c = jb.C + (ic + ir) * jb.ldc + jc + jr;
                        const float* ap = buf.a.data() + static_cast<std::ptrdiff_t>(ir) * kc;
                        micro_kernel_for(kc, ap, bp, ldb, c, jb.ldc, rows, cols, load_c);
                    }
                    if (last) apply_epilogue(jb.C + ic * jb.ldc, jb.ldc, mc, jc + jr, cols, *jb.ep);
                }
            }
        }
    }
}

// Packs units [t * per_task, (t + 1) * per_task) of B (packed_b_layout::pack_units): rows of
// a column block for a row-major B, else panels counted over k blocks then panels.
struct pack_b_job {
    operand B;
    packed_b_layout layout;
    float* out;
    int per_task;
};
inline void pack_b_task(void* ctx, int t) {
    const pack_b_job& pj = *static_cast<const pack_b_job*>(ctx);
    const packed_b_layout& l = pj.layout;
    const int step = l.ks.step, end = std::min(l.pack_units(pj.B), (t + 1) * pj.per_task);
    if (pj.B.cs == 1) {
        // Row-major B: units are the rows of each column block, packed in runs inside one k block.
        for (int u = t * pj.per_task; u < end;) {
            const int jc = u / l.k * nc_max, k0 = u % l.k, pc = k0 / step * step;
            const int rows = std::min({end - u, pc + step - k0, l.k - k0});
            pack_b_rows(pj.B, k0, rows, jc, std::min(nc_max, l.n - jc), pj.out + l.panel(jc, pc, 0) + (k0 - pc) * nr,
                        std::min(step, l.k - pc));
            u += rows;
        }
        return;
    }
    const int panels = l.panels();
    for (int u = t * pj.per_task; u < end; ++u) {
        const int pc = u / panels * step, j = u % panels * nr, jc = j / nc_max * nc_max;
        pack_b_panel(pj.B, pc, std::min(step, l.k - pc), j, std::min(nr, l.n - j), pj.out + l.panel(jc, pc, j - jc));
    }
}

inline void run_task(void* ctx, int t) {
    const job& jb = *static_cast<const job*>(ctx);
    if (jb.split_rows) {
        const int r0 = t * jb.per_task, r1 = std::min(jb.m, r0 + jb.per_task);
        if (r0 < r1) run_block(jb, r0, r1, 0, jb.n);
        return;
    }
    const int c0 = t * jb.per_task * nr;
    const int c1 = std::min(jb.n, c0 + jb.per_task * nr);
    if (c0 < c1) run_block(jb, 0, jb.m, c0, c1);
}

// Row i, columns [j0, j0 + Block * width) of C = A B for a small k, in Block registers.
template <int Block>
SANENET_ALWAYS_INLINE void small_k_block(int i, int j0, int k, const operand& A, const operand& B, float* c, bool accumulate) {
    constexpr int w = static_cast<int>(width);
    vfloat acc[Block];
#pragma GCC unroll 16
    for (int v = 0; v < Block; ++v) acc[v] = accumulate ? vfloat::load_unaligned(c + j0 + v * w) : vfloat(0.f);
    for (int kk = 0; kk < k; ++kk) {
        const vfloat a(A.at(i, kk));
        const float* row = B.p + kk * B.rs + j0;
#pragma GCC unroll 16
        for (int v = 0; v < Block; ++v) acc[v] = xsimd::fma(a, vfloat::load_unaligned(row + v * w), acc[v]);
    }
#pragma GCC unroll 16
    for (int v = 0; v < Block; ++v) acc[v].store_unaligned(c + j0 + v * w);
}

// Rows [i0, i0 + R) of C = A B for n <= NV vectors (the last one holding `tail` columns), in
// R x NV registers; A read in place.
template <int NV, int R>
SANENET_ALWAYS_INLINE void narrow_rows(int i0, int k, int tail, const operand& A, const operand& B, float* C, std::ptrdiff_t ldc,
                                       bool accumulate) {
    constexpr int w = static_cast<int>(width);
    vfloat acc[R][NV];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v)
            acc[r][v] = accumulate ? load_partial(C + (i0 + r) * ldc + v * w, v + 1 == NV ? tail : w) : vfloat(0.f);
    for (int kk = 0; kk < k; ++kk) {
        vfloat b[NV];
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) b[v] = load_partial(B.p + kk * B.rs + v * w, v + 1 == NV ? tail : w);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const vfloat a(A.at(i0 + r, kk));
#pragma GCC unroll 2
            for (int v = 0; v < NV; ++v) acc[r][v] = xsimd::fma(a, b[v], acc[r][v]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
        for (int v = 0; v < NV; ++v) store_partial(C + (i0 + r) * ldc + v * w, acc[r][v], v + 1 == NV ? tail : w);
}

// C = A B for n <= narrow_max (a classifier's 10 outputs) without packing: R rows at a time
// (R x NV accumulators, NV vectors of B and a broadcast fit in 16 registers), then row by row.
inline constexpr int narrow_max = static_cast<int>(width) * (width >= 16 ? 1 : 2);
template <int NV>
void gemm_narrow(int m, int n, int k, const operand& A, const operand& B, float* C, std::ptrdiff_t ldc, bool accumulate) {
    constexpr int R = NV == 1 ? 8 : 6;
    const int tail = n - (NV - 1) * static_cast<int>(width);
    int i0 = 0;
    for (; i0 + R <= m; i0 += R) narrow_rows<NV, R>(i0, k, tail, A, B, C, ldc, accumulate);
    for (; i0 < m; ++i0) narrow_rows<NV, 1>(i0, k, tail, A, B, C, ldc, accumulate);
}

// C = A B for a small k (a rank-k update: dW at batch 1-4), row by row without packing.
inline void gemm_small_k(int m, int n, int k, const operand& A, const operand& B, float* C, std::ptrdiff_t ldc, bool accumulate) {
    constexpr int w = static_cast<int>(width);
    for (int i = 0; i < m; ++i) {
        float* c = C + i * ldc;
        int j = 0;
        for (; j + 16 * w <= n; j += 16 * w) small_k_block<16>(i, j, k, A, B, c, accumulate);
        for (; j + 4 * w <= n; j += 4 * w) small_k_block<4>(i, j, k, A, B, c, accumulate);
        for (; j < n; j += w) {
            const int cols = std::min(w, n - j);
            vfloat acc = accumulate ? load_partial(c + j, cols) : vfloat(0.f);
            for (int kk = 0; kk < k; ++kk) acc = xsimd::fma(vfloat(A.at(i, kk)), load_partial(B.p + kk * B.rs + j, cols), acc);
            store_partial(c + j, acc, cols);
        }
    }
}

// y[j0 : j0 + Block * width] of a row-major GEMV: Block accumulators, one per vector of
// the row segment, so each row of B is read as one contiguous run.
template <int Block>
SANENET_ALWAYS_INLINE void gemv_block(int j0, int k, const float* x, const operand& B, float* y, bool accumulate) {
    constexpr int w = static_cast<int>(width);
    vfloat acc[Block];
#pragma GCC unroll 16
    for (int v = 0; v < Block; ++v) acc[v] = accumulate ? vfloat::load_unaligned(y + j0 + v * w) : vfloat(0.f);
    for (int kk = 0; kk < k; ++kk) {
        const vfloat xv(x[kk]);
        const float* row = B.p + kk * B.rs + j0;
#pragma GCC unroll 16
        for (int v = 0; v < Block; ++v) acc[v] = xsimd::fma(xv, vfloat::load_unaligned(row + v * w), acc[v]);
    }
#pragma GCC unroll 16
    for (int v = 0; v < Block; ++v) acc[v].store_unaligned(y + j0 + v * w);
}

// y[j0 : j0 + width] = x[0:k] B (+ y) for columns of B contiguous along k: width dot
// products, summed across lanes together instead of one horizontal sum each.
SANENET_ALWAYS_INLINE void gemv_dots(int j0, int k, const float* x, const operand& B, float* y, bool accumulate) {
    constexpr int w = static_cast<int>(width);
    vfloat acc[w];
#pragma GCC unroll 16
    for (int r = 0; r < w; ++r) acc[r] = vfloat(0.f);
    for (int kk = 0; kk < k; kk += w) {
        const int c = std::min(w, k - kk);
        const vfloat xv = load_partial(x + kk, c);
#pragma GCC unroll 16
        for (int r = 0; r < w; ++r) acc[r] = xsimd::fma(xv, load_partial(B.p + (j0 + r) * B.cs + kk, c), acc[r]);
    }
    vfloat sums = reduce_add_each(acc);
    if (accumulate) sums += vfloat::load_unaligned(y + j0);
    sums.store_unaligned(y + j0);
}

// y[0:n] = x[0:k] B (+ y), one row: B streamed once, no packing.
inline void gemv(int n, int k, const float* x, const operand& B, float* y, bool accumulate, const epilogue& ep) {
    const int w = static_cast<int>(width);
    if (B.cs == 1) {
        int j = 0;
        for (; j + 16 * w <= n; j += 16 * w) gemv_block<16>(j, k, x, B, y, accumulate);
        for (; j + 8 * w <= n; j += 8 * w) gemv_block<8>(j, k, x, B, y, accumulate);
        for (; j + 4 * w <= n; j += 4 * w) gemv_block<4>(j, k, x, B, y, accumulate);
        for (; j < n; j += w) {
            const int cols = std::min(w, n - j);
            vfloat even = accumulate ? load_partial(y + j, cols) : vfloat(0.f), odd(0.f);
            int kk = 0;
            for (; kk + 2 <= k; kk += 2) {
                even = xsimd::fma(vfloat(x[kk]), load_partial(B.p + kk * B.rs + j, cols), even);
                odd = xsimd::fma(vfloat(x[kk + 1]), load_partial(B.p + (kk + 1) * B.rs + j, cols), odd);
            }
            if (kk < k) even = xsimd::fma(vfloat(x[kk]), load_partial(B.p + kk * B.rs + j, cols), even);
            store_partial(y + j, even + odd, cols);
        }
    } else {
        // Column j of B is contiguous along k when rs == 1 (a transposed weight matrix): a dot
        // product per output, width of them at a time, then the rest one by one.
        int j = 0;
        if (B.rs == 1)
            for (; j + w <= n; j += w) gemv_dots(j, k, x, B, y, accumulate);
        for (; j < n; ++j) {
            const float* col = B.p + j * B.cs;
            vfloat acc(0.f);
            int kk = 0;
            if (B.rs == 1)
                for (; kk < k; kk += w) {
                    const int c = std::min(w, k - kk);
                    acc = xsimd::fma(load_partial(x + kk, c), load_partial(col + kk, c), acc);
                }
            float s = reduce_add(acc);
            for (; kk < k; ++kk) s += x[kk] * col[kk * B.rs];
            y[j] = accumulate ? y[j] + s : s;
        }
    }
    apply_epilogue(y, n, 1, 0, n, ep);
}

// C = A B for a few rows of A against a B whose columns are contiguous along k (B.rs == 1:
// dX = dZ W^T at a small batch), without packing B. A block of width rows of A goes into the
// lanes: transposed once into k vectors (at[kk] = A[i0:i0 + width, kk]), so that each block of
// width columns of C is width dot products accumulated side by side, a broadcast of B per
// multiply-add, then transposed back into rows of C in registers: cheaper than packing the
// transposed B, which would dominate a small batch's dX.
inline void transpose_rows(const operand& A, int i0, int rows, int k, float* at) {
    constexpr int w = static_cast<int>(width);
    if (A.rs == 1) {  // A transposed: its rows already lie along each k
        for (int kk = 0; kk < k; ++kk) load_partial(A.p + i0 + kk * A.cs, rows).store_aligned(at + kk * w);
        return;
    }
    if (A.cs != 1) {
        for (int kk = 0; kk < k; ++kk)
            for (int r = 0; r < w; ++r) at[kk * w + r] = r < rows ? A.at(i0 + r, kk) : 0.f;
        return;
    }
    for (int k0 = 0; k0 < k; k0 += w) {
        const int c = std::min(w, k - k0);
        vfloat v[w];
#pragma GCC unroll 16
        for (int r = 0; r < w; ++r) v[r] = r < rows ? load_partial(A.p + (i0 + r) * A.rs + k0, c) : vfloat(0.f);
        transpose_tile(v);
#pragma GCC unroll 16
        for (int kk = 0; kk < w; ++kk)  // a fixed trip count, so that the tile stays in registers
            if (kk < c) v[kk].store_aligned(at + (k0 + kk) * w);
    }
}

// acc[j] holds column j0 + j of rows [i0, i0 + width) in its lanes: transposed back into rows of
// C[i0:i0+rows, j0:j0+cols], added to C when accumulating.
SANENET_ALWAYS_INLINE void store_lanes(vfloat* acc, int i0, int rows, int j0, int cols, float* C, std::ptrdiff_t ldc,
                                       bool accumulate) {
    transpose_tile(acc);
#pragma GCC unroll 16
    for (int r = 0; r < static_cast<int>(width); ++r) {  // a fixed trip count, as in transpose_rows
        if (r >= rows) break;
        float* c = C + (i0 + r) * ldc + j0;
        store_partial(c, accumulate ? acc[r] + load_partial(c, cols) : acc[r], cols);
    }
}

SANENET_ALWAYS_INLINE void dots_tile(int i0, int rows, int j0, int cols, int k, const float* at, const operand& B, float* C,
                                     std::ptrdiff_t ldc, bool accumulate) {
    constexpr int w = static_cast<int>(width);
    const float* col[w];  // the columns past n repeat the last one; their sums are not stored
    for (int j = 0; j < w; ++j) col[j] = B.p + static_cast<std::ptrdiff_t>(j0 + std::min(j, cols - 1)) * B.cs;
    vfloat acc[w];
#pragma GCC unroll 16
    for (int j = 0; j < w; ++j) acc[j] = vfloat(0.f);
    for (int kk = 0; kk < k; ++kk) {
        const vfloat a = vfloat::load_aligned(at + kk * w);
#pragma GCC unroll 16
        for (int j = 0; j < w; ++j) acc[j] = xsimd::fma(vfloat(col[j][kk]), a, acc[j]);
    }
    store_lanes(acc, i0, rows, j0, cols, C, ldc, accumulate);
}

// Columns [c0, c1) of C, every row; k in blocks of at most kc_max (the transposed rows of A
// live on the stack).
inline void gemm_dots(int m, int c0, int c1, int k, const operand& A, const operand& B, float* C, std::ptrdiff_t ldc,
                      bool accumulate, const epilogue& ep) {
    constexpr int w = static_cast<int>(width);
    alignas(alignment) float at[kc_max * width];
    const int step = k_split(k).step;
    for (int i0 = 0; i0 < m; i0 += w) {
        const int rows = std::min(w, m - i0);
        for (int pc = 0; pc < k; pc += step) {
            const int kc = std::min(step, k - pc);
            transpose_rows({A.p + pc * A.cs, A.rs, A.cs}, i0, rows, kc, at);
            const operand b{B.p + pc * B.rs, B.rs, B.cs};
            for (int j0 = c0; j0 < c1; j0 += w)
                dots_tile(i0, rows, j0, std::min(w, c1 - j0), kc, at, b, C, ldc, accumulate || pc > 0);
        }
        apply_epilogue(C + i0 * ldc, ldc, rows, c0, c1 - c0, ep);
    }
}

// C = A B for a narrow row-major B (n <= narrow_max: a classifier's 10 outputs), with A's rows
// in the lanes as in gemm_dots: width rows transposed once into k vectors, then each column a
// broadcast of B per multiply-add into its own accumulator, transposed back into rows of C. The
// row-by-row path (gemm_narrow) fills only n of each vector's lanes; this one fills them all.
// B is copied per k block into columns padded to NC (a multiple of 4), so that the broadcasts
// have fixed offsets.
template <int NC>
SANENET_ALWAYS_INLINE void lanes_tile(int i0, int rows, int j0, int cols, int k, const float* at, const float* bp, float* C,
                                      std::ptrdiff_t ldc, bool accumulate) {
    constexpr int w = static_cast<int>(width);
    vfloat acc[w];
#pragma GCC unroll 16
    for (int j = 0; j < w; ++j) acc[j] = vfloat(0.f);
    for (int kk = 0; kk < k; ++kk) {
        const vfloat a = vfloat::load_aligned(at + kk * w);
#pragma GCC unroll 16
        for (int j = 0; j < NC; ++j) acc[j] = xsimd::fma(vfloat(bp[kk * NC + j]), a, acc[j]);
    }
    store_lanes(acc, i0, rows, j0, cols, C, ldc, accumulate);
}

// From a full vector of rows and k = 64 on (dW 128x10 at batch 32: 1.64 against 1.37 us for
// gemm_narrow, at 128: 3.5 against 4.9 us; docs/kernel-tuning.md); A transposed only, since
// transposing a row-major A costs more than it saves; AVX-512 only: with 8-float vectors the 10
// columns take two tiles and gemm_narrow is faster (dW 128x10 at batch 128: 35 against 51 GFLOP/s).
inline constexpr bool lanes_path = width >= 16;
inline constexpr int lanes_min_rows = static_cast<int>(width);
inline constexpr int lanes_min_k = 64;
// Rows [r0, r1) of C.
inline void gemm_lanes(int r0, int r1, int n, int k, const operand& A, const operand& B, float* C, std::ptrdiff_t ldc,
                       bool accumulate, const epilogue& ep) {
    constexpr int w = static_cast<int>(width);
    alignas(alignment) float at[kc_max * width];
    alignas(alignment) float bp[kc_max * width + width];
    const int step = k_split(k).step;
    for (int pc = 0; pc < k; pc += step) {
        const int kc = std::min(step, k - pc);
        for (int j0 = 0; j0 < n; j0 += w) {
            const int cols = std::min(w, n - j0), nc = (cols + 3) / 4 * 4;
            // Row by row, each a whole vector whose lanes past `cols` are zero (the next row
            // overwrites those past nc).
            for (int kk = 0; kk < kc; ++kk) load_partial(B.p + (pc + kk) * B.rs + j0, cols).store_unaligned(bp + kk * nc);
            for (int i0 = r0; i0 < r1; i0 += w) {
                const int rows = std::min(w, r1 - i0);
                // (Transposed again per column block: only SSE2 and AVX2 have more than one.)
                transpose_rows({A.p + pc * A.cs, A.rs, A.cs}, i0, rows, kc, at);
                const auto tile = [&]<int NC>() { lanes_tile<NC>(i0, rows, j0, cols, kc, at, bp, C, ldc, accumulate || pc > 0); };
                if constexpr (w >= 16) {
                    if (nc > 8) {
                        nc > 12 ? tile.template operator()<16>() : tile.template operator()<12>();
                        continue;
                    }
                }
                if constexpr (w >= 8) {
                    if (nc > 4) {
                        tile.template operator()<8>();
                        continue;
                    }
                }
                tile.template operator()<4>();
            }
        }
    }
    apply_epilogue(C + r0 * ldc, ldc, r1 - r0, 0, n, ep);
}

}  // namespace detail_gemm

SANENET_INLINE void prepare_gemm_threads() {
    thread_pool::instance().run_on_every_thread([](void*, int) { detail_gemm::buffers(); }, nullptr);
}

SANENET_INLINE void gemm(int m, int n, int k, operand A, operand B, float* C, std::ptrdiff_t ldc, const epilogue& ep,
                         bool accumulate, int threads) {
    using namespace detail_gemm;
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j)
                if (!accumulate) C[i * ldc + j] = 0.f;
        apply_epilogue(C, ldc, m, 0, n, ep);
        return;
    }
    // One row, or up to gemv_rows_max against a transposed B (dX = dZ W^T at a batch of 1-4): row
    // by row without packing. A few more rows against a transposed B: dot products with the rows
    // in the lanes.
    const bool b_transposed = B.rs == 1 && B.cs != 1;
    if (A.cs == 1 && (m == 1 || (m <= gemv_rows_max && b_transposed))) {
        for (int i = 0; i < m; ++i) gemv(n, k, A.p + i * A.rs, B, C + i * ldc, accumulate, ep);
        return;
    }
    const bool multi = threads > 1 && static_cast<double>(m) * n * k >= parallel_min_fma;
    if (b_transposed && m <= dots_rows_max) {
        const std::size_t w = width, blocks = (static_cast<std::size_t>(n) + w - 1) / w;
        const std::size_t tasks = multi ? static_cast<std::size_t>(4 * threads) : 1, per_task = (blocks + tasks - 1) / tasks;
        parallel_for(multi ? threads : 1, blocks, per_task, [&](std::size_t b0, std::size_t b1) {
            gemm_dots(m, static_cast<int>(b0 * w), static_cast<int>(std::min<std::size_t>(n, b1 * w)), k, A, B, C, ldc,
                      accumulate, ep);
        });
        return;
    }
    // The unpacked paths work row by row: split rows between threads.
    if constexpr (lanes_path) {
        if (n <= narrow_max && B.cs == 1 && A.rs == 1 && m >= lanes_min_rows && k >= lanes_min_k) {
            parallel_for(multi ? threads : 1, static_cast<std::size_t>(m), 4 * width, [&](std::size_t r0, std::size_t r1) {
                gemm_lanes(static_cast<int>(r0), static_cast<int>(r1), n, k, A, B, C, ldc, accumulate, ep);
            });
            return;
        }
    }
    if ((n <= narrow_max || k <= small_k_max) && B.cs == 1) {
        const bool narrow = n <= narrow_max;
        parallel_for(multi ? threads : 1, static_cast<std::size_t>(m), 4 * mr, [&](std::size_t r0, std::size_t r1) {
            const int rows = static_cast<int>(r1 - r0);
            const operand a{A.p + static_cast<std::ptrdiff_t>(r0) * A.rs, A.rs, A.cs};
            float* c = C + static_cast<std::ptrdiff_t>(r0) * ldc;
            if (narrow && n <= static_cast<int>(width))
                gemm_narrow<1>(rows, n, k, a, B, c, ldc, accumulate);
            else if (narrow)
                gemm_narrow<2>(rows, n, k, a, B, c, ldc, accumulate);
            else
                gemm_small_k(rows, n, k, a, B, c, ldc, accumulate);
            apply_epilogue(c, ldc, rows, 0, n, ep);
        });
        return;
    }
    // A few tasks per thread, so that a thread the OS delays leaves its share to the others.
    // Tasks take rows of C, so that nothing is packed twice: B is read in place, or packed
    // once by all the threads first. With too few rows, tasks take columns and each packs
    // only its own panels of B.
    const bool direct_b = reads_b_in_place(B, m);
    const bool split_rows = multi && m >= 2 * mr;
    const int units = split_rows ? (m + mr - 1) / mr : (n + nr - 1) / nr;
    int tasks = multi ? std::min(4 * threads, units) : 1;
    const int per_unit_task = (units + tasks - 1) / tasks;
    tasks = (units + per_unit_task - 1) / per_unit_task;
    job jb{m, n, k, A, B, C, ldc, &ep, accumulate, split_rows, split_rows ? per_unit_task * mr : per_unit_task, direct_b};
    if (tasks == 1) return run_block(jb, 0, m, 0, n);
    thread_pool& pool = thread_pool::instance();
    if (split_rows && !direct_b) {
        aligned_buffer<float>& shared = shared_b_buffer();
        const packed_b_layout layout{n, k, k_split(k)};
        shared.resize(layout.size());
        const int pack_units = layout.pack_units(B);
        const int per_pack = (pack_units + 4 * threads - 1) / (4 * threads);
        pack_b_job pj{B, layout, shared.data(), per_pack};
        pool.run(threads, (pack_units + per_pack - 1) / per_pack, &pack_b_task, &pj);
        jb.packed_b = shared.data();
    }
    pool.run(threads, tasks, &run_task, &jb);
}

}  // namespace sanenet::kernels
SANENET_KERNELS_END
#endif  // SANENET_DEFINITIONS
