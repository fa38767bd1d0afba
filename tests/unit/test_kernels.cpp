// Kernels against plain double-precision references: the GEMM in every layout, size class,
// epilogue and thread count; the elementwise ops, losses, dropout, noise and optimizers;
// the thread pool's split, inline fallback and limits; the random generators' uniformity.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

namespace sn = sanenet;
namespace k = sanenet::kernels;
using sn::detail::act;

namespace {

std::vector<float> random_vector(std::size_t n, std::uint64_t seed) {
    k::rng r(seed);
    std::vector<float> v(n);
    for (auto& x : v) x = static_cast<float>(r.normal());
    return v;
}

double reference_activation(double x, act a, double p) {
    switch (a) {
        case act::relu: return x > 0 ? x : 0;
        case act::leaky_relu: return x > 0 ? x : p * x;
        case act::elu: return x > 0 ? x : p * std::expm1(x);
        case act::tanh: return std::tanh(x);
        case act::sigmoid: return 1 / (1 + std::exp(-x));
        default: return x;
    }
}

struct gemm_case {
    int m, n, k;
    bool trans_a, trans_b, accumulate, bias;
    act a;
    float param;
};

// Returns the largest |C - reference| relative to the magnitude of the products.
double gemm_error(const gemm_case& c, int threads, std::vector<float>* result = nullptr) {
    const auto A = random_vector(static_cast<std::size_t>(c.m) * c.k, 1 + c.m);
    const auto B = random_vector(static_cast<std::size_t>(c.k) * c.n, 2 + c.n);
    const auto bias = random_vector(static_cast<std::size_t>(c.n), 3);
    const auto C0 = random_vector(static_cast<std::size_t>(c.m) * c.n, 4);
    // Stored so that op(A) is m x k: row-major m x k, or the transpose stored as k x m.
    const k::operand a = c.trans_a ? k::transposed(A.data(), c.m) : k::row_major(A.data(), c.k);
    const k::operand b = c.trans_b ? k::transposed(B.data(), c.k) : k::row_major(B.data(), c.n);
    std::vector<float> C = C0;
    k::gemm(c.m, c.n, c.k, a, b, C.data(), c.n, k::epilogue{c.bias ? bias.data() : nullptr, c.a, c.param}, c.accumulate, threads);
    double worst = 0.0;
    for (int i = 0; i < c.m; ++i)
        for (int j = 0; j < c.n; ++j) {
            double s = c.accumulate ? C0[static_cast<std::size_t>(i * c.n + j)] : 0.0, mag = std::fabs(s);
            for (int p = 0; p < c.k; ++p) {
                const double t = static_cast<double>(a.at(i, p)) * b.at(p, j);
                s += t;
                mag += std::fabs(t);
            }
            if (c.bias) s += bias[static_cast<std::size_t>(j)];
            const double expected = reference_activation(s, c.a, c.param);
            worst = std::max(worst, std::fabs(expected - C[static_cast<std::size_t>(i * c.n + j)]) / (1.0 + mag));
        }
    if (result) *result = C;
    return worst;
}

}  // namespace

TEST_CASE("gemm matches a double-precision reference in every layout and size class") {
    // Around the register tiles (6 or 8 rows, 2 vectors of 8 or 16) and the narrow paths (10 outputs).
    const int ms[] = {1, 2, 6, 7, 8, 9, 12, 33, 130};
    const int ns[] = {1, 10, 15, 16, 32, 33, 100, 530};
    const int ks[] = {1, 3, 31, 256, 257, 600};
    int cases = 0;
    for (int m : ms)
        for (int n : ns)
            for (int kk : ks) {
                if (static_cast<long>(m) * n * kk > 4'000'000) continue;
                const int variant = (m * 7 + n * 3 + kk) % 8;
                const gemm_case c{
                    m, n, kk, (variant & 1) != 0, (variant & 2) != 0, (variant & 4) != 0, (variant & 3) == 1, act::identity, 0.f};
                INFO("m=" << m << " n=" << n << " k=" << kk << " trans_a=" << c.trans_a << " trans_b=" << c.trans_b
                          << " acc=" << c.accumulate);
                CHECK(gemm_error(c, 1) < 1e-5);
                ++cases;
            }
    CHECK(cases > 200);
}

TEST_CASE("gemm at the MLP's training shapes, with and without accumulation, on 1 and 2 threads") {
    // 784-256-128-10 at batch 1-32: the GEMV and dot-product rows, B packed row by row (and
    // once for both threads), transposed weights whose k is not a multiple of 4.
    for (int b : {1, 3, 4, 5, 8, 32})
        for (bool acc : {false, true})
            for (int threads : {1, 2})
                for (const gemm_case& c : {gemm_case{b, 256, 784, false, false, acc, !acc, act::relu, 0.f},
                                           gemm_case{b, 10, 128, false, false, acc, false, act::identity, 0.f},
                                           gemm_case{784, 256, b, true, false, acc, false, act::identity, 0.f},
                                           gemm_case{b, 256, 128, false, true, acc, false, act::identity, 0.f},
                                           gemm_case{b, 128, 10, false, true, acc, false, act::identity, 0.f}}) {
                    INFO("m=" << c.m << " n=" << c.n << " k=" << c.k << " trans_b=" << c.trans_b << " acc=" << acc
                              << " threads=" << threads);
                    CHECK(gemm_error(c, threads) < 1e-5);
                }
}

TEST_CASE("gemm against a transposed B with a few rows: GEMV rows, then dot products with the rows in the lanes") {
    // 3-16 rows (a GEMV per row up to gemv_rows_max when A is row-major, the rows in the lanes
    // beyond), every column count around the vector width, k split into blocks past 256, A
    // stored either way, the epilogue, accumulation and 2 threads.
    int cases = 0;
    for (int m : {3, 4, 5, 7, 8, 9, 16})
        for (int n : {1, 7, 8, 9, 17, 128})
            for (int kk : {1, 10, 128, 257, 600}) {
                const bool trans_a = (m + n + kk) % 2 == 0, acc = (m + kk) % 3 == 0, bias = n % 2 == 1;
                const gemm_case c{m, n, kk, trans_a, true, acc, bias, bias ? act::elu : act::identity, 1.f};
                INFO("m=" << m << " n=" << n << " k=" << kk << " trans_a=" << trans_a << " acc=" << acc << " bias=" << bias);
                CHECK(gemm_error(c, 1) < 1e-5);
                CHECK(gemm_error(c, 2) < 1e-5);
                ++cases;
            }
    CHECK(cases == 210);
}

TEST_CASE("gemm with a narrow B and A transposed: the rows in the lanes (dW of a classifier's last layer)") {
    // Every column count up to a vector (NC = 4, 8, 12, 16), rows around the vector widths, k
    // from the path's threshold into a second k block, accumulation, the epilogue and 2 threads.
    // The path is AVX-512's (gemm_narrow elsewhere, which these shapes test there).
    int cases = 0;
    for (int m : {16, 17, 31, 128, 130})
        for (int n : {1, 3, 4, 5, 8, 9, 10, 12, 13, 16})
            for (int kk : {64, 100, 257}) {
                const bool acc = (m + n + kk) % 3 == 0, bias = n % 2 == 1;
                const gemm_case c{m, n, kk, true, false, acc, bias, bias ? act::tanh : act::identity, 1.f};
                INFO("m=" << m << " n=" << n << " k=" << kk << " acc=" << acc << " bias=" << bias);
                CHECK(gemm_error(c, 1) < 1e-5);
                CHECK(gemm_error(c, 2) < 1e-5);
                ++cases;
            }
    CHECK(cases == 150);
}

TEST_CASE("gemm fuses bias and every activation into its epilogue") {
    for (act a : {act::identity, act::relu, act::leaky_relu, act::elu, act::tanh, act::sigmoid}) {
        for (int m : {1, 5, 40}) {
            const float p = a == act::leaky_relu ? 0.2f : 1.f;
            INFO("activation " << sn::detail::act_name(a) << " m=" << m);
            CHECK(gemm_error({m, 37, 20, false, false, false, true, a, p}, 1) < 1e-5);
            CHECK(gemm_error({m, 37, 20, true, true, true, true, a, p}, 1) < 1e-5);
        }
    }
}

TEST_CASE("gemm gives bit-identical results with 1 and 2 threads") {
    for (const gemm_case& c : {gemm_case{128, 256, 784, false, false, false, true, act::relu, 0.f},
                               gemm_case{784, 256, 128, true, false, false, false, act::identity, 0.f},
                               gemm_case{128, 784, 256, false, true, false, false, act::identity, 0.f},
                               gemm_case{1000, 10, 128, false, false, false, true, act::identity, 0.f},
                               gemm_case{16, 784, 256, false, true, false, false, act::identity, 0.f}}) {
        std::vector<float> one, two;
        CHECK(gemm_error(c, 1, &one) < 1e-5);
        CHECK(gemm_error(c, 2, &two) < 1e-5);
        CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
    }
}

TEST_CASE("softmax, losses and their gradients against references") {
    const std::size_t rows = 3, cols = 5;
    auto z = random_vector(rows * cols, 11);
    z[2] = 80.f;  // large logits must not overflow
    const std::int32_t labels[rows] = {2, 0, 4};
    std::vector<float> g(rows * cols);
    const double loss = k::softmax_cross_entropy(z.data(), labels, rows, cols, g.data(), 0.5f);
    double expected = 0.0;
    for (std::size_t r = 0; r < rows; ++r) {
        double mx = -1e30, s = 0.0;
        for (std::size_t j = 0; j < cols; ++j) mx = std::max(mx, static_cast<double>(z[r * cols + j]));
        for (std::size_t j = 0; j < cols; ++j) s += std::exp(z[r * cols + j] - mx);
        expected += std::log(s) + mx - z[r * cols + static_cast<std::size_t>(labels[r])];
        for (std::size_t j = 0; j < cols; ++j) {
            const double want = 0.5 * (std::exp(z[r * cols + j] - mx) / s - (static_cast<int>(j) == labels[r] ? 1.0 : 0.0));
            CHECK(g[r * cols + j] == doctest::Approx(want).epsilon(1e-5));
        }
    }
    CHECK(loss == doctest::Approx(expected).epsilon(1e-5));

    std::vector<float> p = z;
    k::softmax_rows(p.data(), rows, cols);
    for (std::size_t r = 0; r < rows; ++r) {
        double s = 0.0;
        for (std::size_t j = 0; j < cols; ++j) s += p[r * cols + j];
        CHECK(s == doctest::Approx(1.0).epsilon(1e-6));
    }

    const auto t = random_vector(rows * cols, 12);
    std::vector<float> t01(t.size());
    for (std::size_t i = 0; i < t.size(); ++i) t01[i] = t[i] > 0 ? 1.f : 0.f;
    const double bce = k::sigmoid_cross_entropy(z.data(), t01.data(), z.size(), g.data(), 1.f);
    double bce_ref = 0.0;
    for (std::size_t i = 0; i < z.size(); ++i) {
        const double zi = z[i], s = 1 / (1 + std::exp(-zi));
        bce_ref += std::max(zi, 0.0) - zi * t01[i] + std::log1p(std::exp(-std::fabs(zi)));
        CHECK(g[i] == doctest::Approx(s - t01[i]).epsilon(1e-5));
    }
    CHECK(bce == doctest::Approx(bce_ref).epsilon(1e-4));

    const double se = k::squared_error(z.data(), t.data(), z.size(), g.data(), 0.25f);
    double se_ref = 0.0;
    for (std::size_t i = 0; i < z.size(); ++i) {
        se_ref += (z[i] - t[i]) * static_cast<double>(z[i] - t[i]);
        CHECK(g[i] == doctest::Approx(0.5 * (z[i] - t[i])).epsilon(1e-6));
    }
    CHECK(se == doctest::Approx(se_ref).epsilon(1e-6));
}

TEST_CASE("activation backward is the derivative written through the output") {
    const auto x = random_vector(100, 21);
    for (act a : {act::identity, act::relu, act::leaky_relu, act::elu, act::tanh, act::sigmoid}) {
        std::vector<float> y = x, d(100, 1.f);
        k::activation_forward(y.data(), 10, 10, a, 0.3f);
        k::activation_backward(d.data(), y.data(), y.size(), a, 0.3f);
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double h = 1e-4;
            const double num = (reference_activation(x[i] + h, a, 0.3) - reference_activation(x[i] - h, a, 0.3)) / (2 * h);
            INFO(sn::detail::act_name(a) << " at " << x[i]);
            CHECK(d[i] == doctest::Approx(num).epsilon(1e-3).scale(1.0));
        }
    }
}

TEST_CASE("column sums, norms and finiteness") {
    const auto x = random_vector(7 * 70, 31);
    std::vector<float> s(70);
    k::column_sums(x.data(), 7, 70, s.data());
    for (std::size_t j = 0; j < 70; ++j) {
        double want = 0.0;
        for (std::size_t i = 0; i < 7; ++i) want += x[i * 70 + j];
        CHECK(s[j] == doctest::Approx(want).epsilon(1e-5));
    }
    double ss = 0.0;
    for (float v : x) ss += static_cast<double>(v) * v;
    CHECK(k::sum_squares(x.data(), x.size()) == doctest::Approx(ss).epsilon(1e-5));
    std::vector<float> y = x;
    CHECK(k::all_finite(y.data(), y.size()));
    y[69] = std::numeric_limits<float>::infinity();
    CHECK_FALSE(k::all_finite(y.data(), y.size()));
    y[69] = std::nanf("");
    CHECK_FALSE(k::all_finite(y.data(), y.size()));
    y[69] = 1.f;
    y[x.size() - 1] = std::nanf("");  // in the scalar tail
    CHECK_FALSE(k::all_finite(y.data(), y.size()));
}

TEST_CASE("summarize_columns (the data lints' statistics) against double sums, every tail, and non-finite values") {
    const std::size_t w = k::width;
    for (std::size_t cols : {std::size_t{1}, w - 1, w, w + 1, 3 * w + 5, std::size_t{784}})
        for (std::size_t rows : {std::size_t{1}, std::size_t{63}, std::size_t{64}, std::size_t{65}, std::size_t{200}}) {
            if (cols == 0) continue;
            // Values on a 0.25 grid (ties for the counts); every third column far from 0; each
            // column's minimum and maximum move in later row blocks.
            auto x = random_vector(rows * cols, 77 + rows + cols);
            for (std::size_t i = 0; i < x.size(); ++i)
                x[i] = std::round(x[i] * 4.f) / 4.f * (1.f + static_cast<float>(i / cols / 64)) +
                       ((i % cols) % 3 == 0 ? 1000.f : 0.f);
            const float* first = x.data();
            std::vector<double> sum(cols, 0.0), sumsq(cols, 0.0);
            std::vector<float> lo(first, first + cols), hi(first, first + cols);
            std::vector<std::size_t> at_lo(cols, 0), at_hi(cols, 0);
            const k::column_summary out{sum.data(), sumsq.data(), lo.data(), hi.data(), at_lo.data(), at_hi.data()};
            CHECK(k::summarize_columns(x.data(), rows, cols, first, out));
            std::size_t bad = 0;
            for (std::size_t j = 0; j < cols; ++j) {
                double s = 0.0, q = 0.0, abs_sum = 0.0;
                float mn = x[j], mx = x[j];
                for (std::size_t r = 0; r < rows; ++r) {
                    const double d = static_cast<double>(x[r * cols + j]) - x[j];
                    s += d, q += d * d, abs_sum += std::fabs(d);
                    mn = std::min(mn, x[r * cols + j]), mx = std::max(mx, x[r * cols + j]);
                }
                std::size_t n_lo = 0, n_hi = 0;
                for (std::size_t r = 0; r < rows; ++r) n_lo += x[r * cols + j] == mn, n_hi += x[r * cols + j] == mx;
                const bool ok = std::fabs(sum[j] - s) <= 1e-6 * (1.0 + abs_sum) && std::fabs(sumsq[j] - q) <= 1e-6 * (1.0 + q) &&
                                lo[j] == mn && hi[j] == mx && at_lo[j] == n_lo && at_hi[j] == n_hi;
                if (!ok && bad++ == 0) {
                    INFO(k::arch_name() << ": rows " << rows << ", cols " << cols << ", column " << j << ": sum " << sum[j]
                                        << " (want " << s << "), sumsq " << sumsq[j] << " (" << q << "), min " << lo[j] << " ("
                                        << mn << "), max " << hi[j] << " (" << mx << "), at min " << at_lo[j] << " (" << n_lo
                                        << "), at max " << at_hi[j] << " (" << n_hi << ")");
                    CHECK(ok);
                }
            }
            CHECK(bad == 0);
            // A NaN or an infinity anywhere, in a whole vector's column or in the tail: not finite.
            for (std::size_t at : {std::size_t{0}, x.size() / 2, x.size() - 1})
                for (float v : {std::nanf(""), std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()}) {
                    auto y = x;
                    y[at] = v;
                    std::vector<double> s2(cols, 0.0), q2(cols, 0.0);
                    std::vector<float> l2(y.data(), y.data() + cols), h2(y.data(), y.data() + cols);
                    std::vector<std::size_t> c2(cols, 0), c3(cols, 0);
                    INFO(k::arch_name() << ": " << v << " at " << at << " of " << rows << " x " << cols);
                    CHECK_FALSE(k::summarize_columns(y.data(), rows, cols, x.data(),
                                                     {s2.data(), q2.data(), l2.data(), h2.data(), c2.data(), c3.data()}));
                }
        }
}

TEST_CASE("dropout keeps units with probability keep, scales by 1/keep, and is reproducible") {
    const std::size_t n = 100003;
    std::vector<float> x(n, 1.f), mask(n), x2(n, 1.f), mask2(n);
    k::dropout_forward(x.data(), mask.data(), n, 0.8f, 12345);
    k::dropout_forward(x2.data(), mask2.data(), n, 0.8f, 12345);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < n; ++i) {
        CHECK((mask[i] == 0.f || mask[i] == doctest::Approx(1.25f)));
        kept += mask[i] != 0.f;
        CHECK(x[i] == mask[i]);
    }
    // Within 5 standard errors of 0.8 (doctest::Approx(0.8).epsilon(0.01) would allow 0.018: its scale is 1).
    const double kept_share = static_cast<double>(kept) / n;
    CAPTURE(kept_share);
    CHECK(std::fabs(kept_share - 0.8) < 5 * std::sqrt(0.8 * 0.2 / n));
    CHECK(mask == mask2);
    std::vector<float> x3(n, 1.f), mask3(n);
    k::dropout_forward(x3.data(), mask3.data(), n, 0.8f, 54321);
    CHECK(mask3 != mask);
}

TEST_CASE("gaussian noise has the asked standard deviation") {
    const std::size_t n = 200000;
    std::vector<float> x(n, 0.f);
    k::add_gaussian_noise(x.data(), n, 0.5f, 99);
    double s = 0, ss = 0;
    for (float v : x) {
        s += v;
        ss += static_cast<double>(v) * v;
    }
    const double mean = s / n, sd = std::sqrt(ss / n - mean * mean);
    CAPTURE(mean);
    CAPTURE(sd);
    // Within 5 standard errors: sd / sqrt(n) for the mean, sd / sqrt(2n) for the sd.
    CHECK(std::fabs(mean) < 5 * 0.5 / std::sqrt(static_cast<double>(n)));
    CHECK(std::fabs(sd - 0.5) < 5 * 0.5 / std::sqrt(2.0 * n));
}

TEST_CASE("gaussian noise: the same key gives the same noise, another key other noise, and the shape is normal") {
    const std::size_t n = 200000;
    const float sd = 0.5f;
    std::vector<float> a(n, 0.f), b(n, 0.f), c(n, 0.f), prefix(1000, 0.f), shifted(n, 3.f);
    k::add_gaussian_noise(a.data(), n, sd, 99);
    k::add_gaussian_noise(b.data(), n, sd, 99);
    k::add_gaussian_noise(c.data(), n, sd, 100);
    k::add_gaussian_noise(prefix.data(), prefix.size(), sd, 99);
    k::add_gaussian_noise(shifted.data(), n, sd, 99);
    CHECK(std::memcmp(a.data(), b.data(), n * sizeof(float)) == 0);
    // Element i depends on (key, i) only, not on how many elements the call covers.
    CHECK(std::memcmp(a.data(), prefix.data(), prefix.size() * sizeof(float)) == 0);
    // Added to x, not written over it (3 + v - 3 is v up to the rounding of 3 + v).
    std::size_t added = 0;
    for (std::size_t i = 0; i < n; ++i) added += std::fabs((shifted[i] - 3.f) - a[i]) <= 4e-7f;
    CHECK(added == n);
    // Another key: unrelated values (correlation within 5 standard errors of 0, few equal).
    std::size_t equal = 0;
    double sac = 0, saa = 0, scc = 0, lag = 0;
    for (std::size_t i = 0; i < n; ++i) {
        equal += a[i] == c[i];
        sac += static_cast<double>(a[i]) * c[i];
        saa += static_cast<double>(a[i]) * a[i];
        scc += static_cast<double>(c[i]) * c[i];
        if (i + 1 < n) lag += static_cast<double>(a[i]) * a[i + 1];
    }
    const double five_se = 5.0 / std::sqrt(static_cast<double>(n));
    CHECK(equal < 100);
    CHECK(std::fabs(sac / std::sqrt(saa * scc)) < five_se);
    CHECK(std::fabs(lag / saa) < five_se);  // neighbouring elements are independent too
    // Normal, not merely the right mean and sd: the share within 1, 2 and 3 sd (a uniform
    // distribution with sd 0.5 has 0.577, 1 and 1) and the fourth moment (3 sd^4; uniform 1.8).
    std::size_t within[3] = {0, 0, 0};
    double m2 = 0, m4 = 0;
    for (float v : a) {
        const double z = std::fabs(static_cast<double>(v)) / sd;
        for (int j = 0; j < 3; ++j) within[j] += z < j + 1;
        m2 += z * z;
        m4 += z * z * z * z;
    }
    const double normal_share[3] = {0.682689492, 0.954499736, 0.997300204};
    for (int j = 0; j < 3; ++j) {
        const double share = static_cast<double>(within[j]) / n, p = normal_share[j];
        INFO("within " << j + 1 << " sd: " << share << ", normal " << p);
        CHECK(std::fabs(share - p) < 5 * std::sqrt(p * (1 - p) / n));
    }
    m2 /= n;
    m4 /= n;
    const double kurtosis = m4 / (m2 * m2);
    CAPTURE(kurtosis);
    CHECK(std::fabs(kurtosis - 3.0) < 5 * std::sqrt(24.0 / n));
}

TEST_CASE("optimizer updates follow the PyTorch formulas, in every branch of the rules") {
    const std::size_t n = 37;  // vectors and a scalar tail
    const auto p0 = random_vector(n, 41), g = random_vector(n, 42);
    // Adam and AdamW, two steps, against a scalar double reference.
    for (float decay : {0.f, 0.1f}) {
        std::vector<float> p = p0, m(n, 0.f), v(n, 0.f);
        std::vector<double> pr(p0.begin(), p0.end()), mr(n, 0.0), vr(n, 0.0);
        for (int t = 1; t <= 2; ++t) {
            k::adam_update(p.data(), g.data(), m.data(), v.data(), n, 0.01f, 0.9f, 0.999f, 1e-8f, 1.f - std::pow(0.9f, t),
                           1.f - std::pow(0.999f, t), decay);
            for (std::size_t i = 0; i < n; ++i) {
                mr[i] = 0.9 * mr[i] + 0.1 * g[i];
                vr[i] = 0.999 * vr[i] + 0.001 * g[i] * g[i];
                pr[i] *= 1 - 0.01 * decay;
                pr[i] -= 0.01 / (1 - std::pow(0.9, t)) * mr[i] / (std::sqrt(vr[i]) / std::sqrt(1 - std::pow(0.999, t)) + 1e-8);
            }
        }
        INFO("Adam, decay " << decay);
        for (std::size_t i = 0; i < n; ++i) CHECK(p[i] == doctest::Approx(pr[i]).epsilon(1e-5));
    }
    // SGD with and without momentum, Nesterov, L2; without momentum the buffer stays untouched.
    for (float mu : {0.f, 0.9f})
        for (bool nesterov : {false, true})
            for (float decay : {0.f, 0.01f}) {
                std::vector<float> q = p0, buf(n, 0.f);
                std::vector<double> qr(p0.begin(), p0.end()), br(n, 0.0);
                for (int t = 0; t < 2; ++t) {
                    k::sgd_update(q.data(), g.data(), buf.data(), n, 0.1f, mu, nesterov, decay);
                    for (std::size_t i = 0; i < n; ++i) {
                        double gi = g[i] + decay * qr[i];
                        if (mu != 0.f) {
                            br[i] = mu * br[i] + gi;
                            gi = nesterov ? gi + mu * br[i] : br[i];
                        }
                        qr[i] -= 0.1 * gi;
                    }
                }
                INFO("SGD, momentum " << mu << ", nesterov " << nesterov << ", decay " << decay);
                for (std::size_t i = 0; i < n; ++i) {
                    CHECK(q[i] == doctest::Approx(qr[i]).epsilon(1e-5));
                    CHECK(buf[i] == doctest::Approx(br[i]).epsilon(1e-5));
                }
            }
}

TEST_CASE("thread pool: every task runs exactly once, also when two callers share the pool") {
    auto& pool = k::thread_pool::instance();
    std::vector<std::atomic<int>> hits(103);
    struct ctx_t {
        std::vector<std::atomic<int>>* hits;
    } ctx{&hits};
    pool.run(2, 103, [](void* c, int t) { (*static_cast<ctx_t*>(c)->hits)[static_cast<std::size_t>(t)]++; }, &ctx);
    for (auto& h : hits) CHECK(h.load() == 1);

    std::atomic<int> total{0};
    auto work = [&] {
        for (int rep = 0; rep < 200; ++rep)
            pool.run(2, 8, [](void* c, int) { static_cast<std::atomic<int>*>(c)->fetch_add(1); }, &total);
    };
    std::thread other(work);
    work();
    other.join();
    CHECK(total.load() == 2 * 200 * 8);
}

namespace {

// Which thread ran each task, and how often each task ran.
struct task_log {
    std::mutex m;
    std::vector<int> order;
    std::vector<std::thread::id> ids;
    static void record(void* c, int t) {
        auto* log = static_cast<task_log*>(c);
        std::lock_guard<std::mutex> lock(log->m);
        log->order.push_back(t);
        log->ids.push_back(std::this_thread::get_id());
    }
    std::vector<std::thread::id> distinct_ids() {
        std::vector<std::thread::id> d = ids;
        std::sort(d.begin(), d.end());
        d.erase(std::unique(d.begin(), d.end()), d.end());
        return d;
    }
    std::vector<int> sorted_order() {
        std::vector<int> o = order;
        std::sort(o.begin(), o.end());
        return o;
    }
};

std::vector<int> iota_vector(int n) {
    std::vector<int> v(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
    return v;
}

}  // namespace

// A pool of its own with one worker, so these run with two threads whatever the host's core count.
TEST_CASE("thread pool: a caller that finds the pool busy runs its tasks inline, on its own thread, without waiting") {
    k::thread_pool pool(1);
    REQUIRE(pool.max_threads() == 2);
    // The first caller's two tasks block (one on the caller, one on the worker) until released,
    // so the pool stays busy while the second caller runs. A watchdog releases them after 5 s,
    // so a pool that makes the second caller wait fails instead of hanging.
    struct hold_t {
        std::atomic<int> started{0};
        std::atomic<bool> release{false}, watchdog_fired{false};
    } hold;
    std::thread first([&] {
        pool.run(
            2, 2,
            [](void* c, int) {
                auto* h = static_cast<hold_t*>(c);
                h->started.fetch_add(1);
                while (!h->release.load()) std::this_thread::yield();
            },
            &hold);
    });
    std::atomic<bool> done{false};
    std::thread watchdog([&] {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!done.load() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        if (!done.load()) hold.watchdog_fired.store(true);
        hold.release.store(true);
    });
    while (hold.started.load() == 0 && !hold.release.load()) std::this_thread::yield();

    task_log log;
    pool.run(2, 8, &task_log::record, &log);
    const bool returned_while_busy = !hold.release.load();
    done.store(true);
    watchdog.join();
    first.join();

    CHECK(returned_while_busy);
    CHECK_FALSE(hold.watchdog_fired.load());
    CHECK(log.order == iota_vector(8));  // inline: one after the other, in order
    REQUIRE(log.ids.size() == 8);
    for (const auto& id : log.ids) CHECK(id == std::this_thread::get_id());
    CHECK(hold.started.load() == 2);
}

TEST_CASE("thread pool: more threads than the pool has means all of them; no tasks means no call") {
    k::thread_pool pool(1);
    REQUIRE(pool.max_threads() == 2);
    SUBCASE("threads > max_threads: every task once, on both threads and no others") {
        // The first tasks wait (at most 5 s in all) until a second thread has joined, so the
        // worker's part does not depend on how fast it wakes up.
        struct meet_t {
            task_log log;
            std::atomic<int> threads_seen{0};
            std::atomic<bool> gave_up{false};
            std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        } meet;
        pool.run(
            64, 40,
            [](void* c, int t) {
                auto* m = static_cast<meet_t*>(c);
                task_log::record(&m->log, t);
                {
                    std::lock_guard<std::mutex> lock(m->log.m);
                    std::vector<std::thread::id> d = m->log.ids;
                    std::sort(d.begin(), d.end());
                    m->threads_seen.store(static_cast<int>(std::unique(d.begin(), d.end()) - d.begin()));
                }
                while (m->threads_seen.load() < 2 && !m->gave_up.load()) {
                    if (std::chrono::steady_clock::now() > m->deadline) m->gave_up.store(true);
                    std::this_thread::yield();
                }
            },
            &meet);
        CHECK(meet.log.sorted_order() == iota_vector(40));
        CHECK_FALSE(meet.gave_up.load());
        CHECK(meet.log.distinct_ids().size() == 2);
    }
    SUBCASE("tasks = 0 calls nothing and returns, on one thread or several") {
        for (int threads : {1, 2, 64}) {
            task_log log;
            pool.run(threads, 0, &task_log::record, &log);
            CHECK(log.order.empty());
        }
        task_log after;  // and the pool still works afterwards
        pool.run(2, 5, &task_log::record, &after);
        CHECK(after.sorted_order() == iota_vector(5));
    }
}

namespace {

// Pearson's chi-square of `counts` against equal expected counts.
double chi_square(const std::vector<std::size_t>& counts) {
    double total = 0;
    for (std::size_t c : counts) total += static_cast<double>(c);
    const double expected = total / static_cast<double>(counts.size());
    double x = 0;
    for (std::size_t c : counts) x += (static_cast<double>(c) - expected) * (static_cast<double>(c) - expected) / expected;
    return x;
}

// The chi-square quantile at z standard deviations (Wilson-Hilferty), for buckets - 1 degrees of freedom.
double chi_square_quantile(std::size_t buckets, double z) {
    const double dof = static_cast<double>(buckets - 1), a = 2.0 / (9.0 * dof);
    return dof * std::pow(std::max(0.0, 1.0 - a + z * std::sqrt(a)), 3.0);
}
// What a uniform source exceeds with probability about 1e-6.
double chi_square_limit(std::size_t buckets) { return chi_square_quantile(buckets, 4.75); }
// Counts this even are as suspicious as uneven ones (structured, not random): probability about 1e-6.
double chi_square_floor(std::size_t buckets) { return chi_square_quantile(buckets, -4.75); }

}  // namespace

TEST_CASE("sequential random numbers are reproducible per seed and uniform") {
    k::rng a(5), b(5), c(6);
    for (int i = 0; i < 10; ++i) {
        const auto x = a.next();
        CHECK(x == b.next());
        CHECK(x != c.next());
    }
    SUBCASE("uniform() in [0, 1), flat over 100 buckets") {
        k::rng r(11);
        std::vector<std::size_t> counts(100);
        double lo = 1, hi = 0, sum = 0;
        const std::size_t n = 200000;
        for (std::size_t i = 0; i < n; ++i) {
            const double u = r.uniform();
            lo = std::min(lo, u);
            hi = std::max(hi, u);
            sum += u;
            counts[std::min<std::size_t>(static_cast<std::size_t>(u * 100), 99)]++;
        }
        CHECK(lo >= 0.0);
        CHECK(hi < 1.0);
        CHECK(hi > 0.999);
        CHECK(lo < 0.001);
        CHECK(std::fabs(sum / n - 0.5) < 5 * std::sqrt(1.0 / 12 / n));
        CHECK(chi_square(counts) < chi_square_limit(100));
        CHECK(chi_square(counts) > chi_square_floor(100));
    }
    SUBCASE("below(n) hits every value of [0, n) equally often") {
        for (std::uint64_t m : {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{7}, std::uint64_t{10}, std::uint64_t{1000}}) {
            k::rng r(m);
            std::vector<std::size_t> counts(static_cast<std::size_t>(m));
            bool inside = true;
            for (std::size_t i = 0; i < 200 * m + 2000; ++i) {
                const std::uint64_t v = r.below(m);
                inside = inside && v < m;
                if (v < m) counts[static_cast<std::size_t>(v)]++;
            }
            INFO("n = " << m);
            CHECK(inside);
            if (m > 1) CHECK(chi_square(counts) < chi_square_limit(static_cast<std::size_t>(m)));
            if (m > 1) CHECK(chi_square(counts) > chi_square_floor(static_cast<std::size_t>(m)));
        }
    }
    SUBCASE("below(n) is unbiased where a plain modulo is not: n = 3 * 2^62") {
        // next() % n would put half of the draws in the first third of [0, n).
        const std::uint64_t m = 3ull << 62;
        k::rng r(17);
        std::vector<std::size_t> thirds(3);
        for (int i = 0; i < 30000; ++i) thirds[static_cast<std::size_t>(r.below(m) >> 62)]++;
        CAPTURE(thirds[0]);
        CHECK(chi_square(thirds) < chi_square_limit(3));
    }
}

TEST_CASE("counter-based random bits: different per key and index, and uniform") {
    CHECK(k::counter_bits(1, 5) != k::counter_bits(2, 5));
    CHECK(k::counter_bits(1, 5) != k::counter_bits(1, 6));
    CHECK(k::counter_bits(1ull << 32, 5) != k::counter_bits(2ull << 32, 5));  // the key's high half counts
    // Consecutive indices under keys made as the trainer makes them (derive_key(seed, layer, step)).
    // (Keys that differ only in the low 16 bits would give permutations of one set of values
    // over indices 0 .. 2^16 - 1, so the counts of such keys are not independent.)
    const std::uint32_t per_key = 1u << 16;
    std::vector<std::size_t> ones(32), low(256), high(256), pairs(256);
    std::size_t total = 0;
    for (std::uint64_t key :
         {k::derive_key(42, 1, 0), k::derive_key(42, 1, 1), k::derive_key(42, 3, 7), k::derive_key(7, 0, 0)}) {
        std::uint32_t previous = k::counter_bits(key, 0);
        for (std::uint32_t i = 0; i < per_key; ++i) {
            const std::uint32_t v = k::counter_bits(key, i);
            for (int bit = 0; bit < 32; ++bit) ones[static_cast<std::size_t>(bit)] += (v >> bit) & 1u;
            low[v & 0xffu]++;
            high[v >> 24]++;
            if (i > 0) pairs[((previous >> 28) << 4) | (v >> 28)]++;  // neighbours independent
            previous = v;
            ++total;
        }
    }
    for (int bit = 0; bit < 32; ++bit) {
        INFO("bit " << bit << " set " << ones[static_cast<std::size_t>(bit)] << " of " << total);
        CHECK(std::fabs(static_cast<double>(ones[static_cast<std::size_t>(bit)]) / static_cast<double>(total) - 0.5) <
              5 * 0.5 / std::sqrt(static_cast<double>(total)));
    }
    for (const auto* counts : {&low, &high, &pairs}) {
        CHECK(chi_square(*counts) < chi_square_limit(256));
        CHECK(chi_square(*counts) > chi_square_floor(256));
    }
    // bits_to_unit maps them onto [0, 1) evenly.
    std::vector<std::size_t> units(64);
    for (std::uint32_t i = 0; i < per_key; ++i) {
        const float u = k::bits_to_unit(k::counter_bits(99, i));
        REQUIRE(u >= 0.f);
        REQUIRE(u < 1.f);
        units[static_cast<std::size_t>(u * 64)]++;
    }
    CHECK(chi_square(units) < chi_square_limit(64));
    CHECK(chi_square(units) > chi_square_floor(64));
}

TEST_CASE("run_on_every_thread reaches each pool thread exactly once") {
    auto& pool = k::thread_pool::instance();
    struct seen_t {
        std::mutex m;
        std::vector<std::thread::id> ids;
    } seen;
    pool.run_on_every_thread(
        [](void* c, int) {
            auto* s = static_cast<seen_t*>(c);
            std::lock_guard<std::mutex> lock(s->m);
            s->ids.push_back(std::this_thread::get_id());
        },
        &seen);
    CHECK(static_cast<int>(seen.ids.size()) == pool.max_threads());
    std::sort(seen.ids.begin(), seen.ids.end());
    CHECK(std::unique(seen.ids.begin(), seen.ids.end()) == seen.ids.end());
}
