// Kernels against plain double-precision references: the GEMM in every layout, size class,
// epilogue and thread count; the elementwise ops, losses, dropout, noise and optimizers;
// the thread pool's split.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <cmath>
#include <cstring>
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
                const gemm_case c{m, n, kk, (variant & 1) != 0, (variant & 2) != 0, (variant & 4) != 0, (variant & 3) == 1, act::identity, 0.f};
                INFO("m=" << m << " n=" << n << " k=" << kk << " trans_a=" << c.trans_a << " trans_b=" << c.trans_b << " acc=" << c.accumulate);
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
                    INFO("m=" << c.m << " n=" << c.n << " k=" << c.k << " trans_b=" << c.trans_b << " acc=" << acc << " threads=" << threads);
                    CHECK(gemm_error(c, threads) < 1e-5);
                }
}

TEST_CASE("gemm against a transposed B with a few rows: dot products with the rows in the lanes") {
    // 3-16 rows (GEMV rows below), every column count around the vector width, k split into
    // blocks past 256, A stored either way, the epilogue, accumulation and 2 threads.
    int cases = 0;
    for (int m : {3, 7, 8, 9, 16})
        for (int n : {1, 7, 8, 9, 17, 128})
            for (int kk : {1, 10, 128, 257, 600}) {
                const bool trans_a = (m + n + kk) % 2 == 0, acc = (m + kk) % 3 == 0, bias = n % 2 == 1;
                const gemm_case c{m, n, kk, trans_a, true, acc, bias, bias ? act::elu : act::identity, 1.f};
                INFO("m=" << m << " n=" << n << " k=" << kk << " trans_a=" << trans_a << " acc=" << acc << " bias=" << bias);
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
    CHECK(static_cast<double>(kept) / n == doctest::Approx(0.8).epsilon(0.01));
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
    CHECK(std::fabs(mean) < 0.01);
    CHECK(sd == doctest::Approx(0.5).epsilon(0.01));
}

TEST_CASE("optimizer updates follow the PyTorch formulas, in every branch of the rules") {
    const std::size_t n = 37;  // vectors and a scalar tail
    const auto p0 = random_vector(n, 41), g = random_vector(n, 42);
    // Adam and AdamW, two steps, against a scalar double reference.
    for (float decay : {0.f, 0.1f}) {
        std::vector<float> p = p0, m(n, 0.f), v(n, 0.f);
        std::vector<double> pr(p0.begin(), p0.end()), mr(n, 0.0), vr(n, 0.0);
        for (int t = 1; t <= 2; ++t) {
            k::adam_update(p.data(), g.data(), m.data(), v.data(), n, 0.01f, 0.9f, 0.999f, 1e-8f, 1.f - std::pow(0.9f, t), 1.f - std::pow(0.999f, t), decay);
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

TEST_CASE("thread pool: every task runs exactly once, and a busy pool runs a second caller inline") {
    auto& pool = k::thread_pool::instance();
    std::vector<std::atomic<int>> hits(103);
    struct ctx_t { std::vector<std::atomic<int>>* hits; } ctx{&hits};
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

TEST_CASE("counter-based and sequential random numbers are reproducible") {
    k::rng a(5), b(5), c(6);
    for (int i = 0; i < 10; ++i) {
        const auto x = a.next();
        CHECK(x == b.next());
        CHECK(x != c.next());
    }
    for (int i = 0; i < 1000; ++i) CHECK(a.below(7) < 7);
    CHECK(k::counter_bits(1, 5) == k::counter_bits(1, 5));
    CHECK(k::counter_bits(1, 5) != k::counter_bits(2, 5));
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
