// Every SIMD primitive the kernels rely on, against scalar code written here, at the width
// of the architecture this file is compiled for. CMake builds it once per architecture
// (arch.sse2.simd, arch.avx2.simd, arch.avx512.simd) and runs each build where the CPU has
// it: xsimd 8.1's AVX-512 haddp returned permuted lanes, and only a run on AVX-512 showed it.
// Also the first-use self-check (kernels/self_check.hpp) and what it says when one fails.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

// The tests call xsimd directly: the kernels' g++ 12 warning workaround applies to them too.
SANENET_KERNELS_BEGIN

namespace sn = sanenet;
namespace k = sanenet::kernels;
using sn::detail::act;

namespace {

constexpr int w = static_cast<int>(k::width);

k::vfloat load(const std::vector<float>& v, std::size_t at = 0) { return k::vfloat::load_unaligned(v.data() + at); }
std::vector<float> lanes(k::vfloat v) {
    std::vector<float> out(k::width);
    v.store_unaligned(out.data());
    return out;
}

// n values from a fixed pseudo-random sequence in [lo, hi).
std::vector<float> values(std::size_t n, float lo, float hi, std::uint64_t seed) {
    k::rng r(seed);
    std::vector<float> v(n);
    for (auto& x : v) x = lo + (hi - lo) * static_cast<float>(r.uniform());
    return v;
}

// |got - want| <= tol * (1 + |want|), element by element, with the first difference in the message.
void check_close(const std::vector<float>& got, const std::vector<double>& want, double tol, const std::string& what) {
    REQUIRE(got.size() == want.size());
    std::size_t bad = 0;
    std::string first;
    for (std::size_t i = 0; i < got.size(); ++i)
        if (!(std::fabs(got[i] - want[i]) <= tol * (1.0 + std::fabs(want[i])))) {
            if (bad++ == 0)
                first = "element " + std::to_string(i) + ": " + std::to_string(got[i]) + ", expected " + std::to_string(want[i]);
        }
    INFO(what << " on " << k::arch_name() << ": " << bad << " of " << got.size() << " wrong; " << first);
    CHECK(bad == 0);
}

}  // namespace

TEST_CASE("the build runs the architecture its flags ask for") {
    MESSAGE("kernels: " << std::string(k::arch_name()) << ", " << k::width << " floats per vector");
#if defined(__AVX512F__)
    CHECK(k::width == 16);
#elif defined(__AVX__)
    CHECK(k::width == 8);
#elif defined(__SSE2__)
    CHECK(k::width == 4);
#endif
}

TEST_CASE("reduce_add_each: lane r holds the sum of vector r (the sums xsimd 8.1's AVX-512 haddp permutes)") {
    k::vfloat v[k::width];
    std::vector<double> want(k::width);
    for (int r = 0; r < w; ++r) {
        std::vector<float> l(k::width);
        for (int j = 0; j < w; ++j) l[static_cast<std::size_t>(j)] = static_cast<float>(r * 100 + j);
        v[r] = load(l);
        want[static_cast<std::size_t>(r)] = 100.0 * r * w + w * (w - 1) / 2.0;
    }
    check_close(lanes(k::reduce_add_each(v)), want, 0.0, "reduce_add_each, vector r = r * 100 + lane");

    // Random values: each lane against a double sum.
    const auto x = values(k::width * k::width, -3.f, 3.f, 1);
    for (int r = 0; r < w; ++r) {
        v[r] = load(x, static_cast<std::size_t>(r * w));
        double s = 0.0;
        for (int j = 0; j < w; ++j) s += x[static_cast<std::size_t>(r * w + j)];
        want[static_cast<std::size_t>(r)] = s;
    }
    check_close(lanes(k::reduce_add_each(v)), want, 1e-6, "reduce_add_each, random values");
}

TEST_CASE("reduce_add sums every lane") {
    for (int lane = 0; lane < w; ++lane) {
        std::vector<float> one(k::width, 0.f);
        one[static_cast<std::size_t>(lane)] = 1.f + static_cast<float>(lane);
        INFO("only lane " << lane << " set");
        CHECK(k::reduce_add(load(one)) == 1.f + static_cast<float>(lane));
    }
    const auto x = values(k::width, -5.f, 5.f, 2);
    double s = 0.0;
    for (float v : x) s += v;
    CHECK(k::reduce_add(load(x)) == doctest::Approx(s).epsilon(1e-6));
    std::vector<float> nan(k::width, 1.f);
    nan.back() = std::numeric_limits<float>::quiet_NaN();
    CHECK(std::isnan(k::reduce_add(load(nan))));  // all_finite relies on it
}

TEST_CASE("transpose_tile turns lane j of register i into lane i of register j") {
    alignas(k::alignment) float in[k::width * k::width], out[k::width * k::width];
    for (std::size_t i = 0; i < k::width * k::width; ++i) in[i] = static_cast<float>(i);
    k::vfloat v[k::width];
    for (std::size_t i = 0; i < k::width; ++i) v[i] = k::vfloat::load_aligned(in + i * k::width);
    k::transpose_tile(v);
    for (std::size_t i = 0; i < k::width; ++i) v[i].store_aligned(out + i * k::width);
    int wrong = 0;
    for (std::size_t i = 0; i < k::width; ++i)
        for (std::size_t j = 0; j < k::width; ++j) wrong += out[j * k::width + i] != in[i * k::width + j];
    CHECK(wrong == 0);
}

TEST_CASE("load_partial and store_partial touch exactly the first count lanes") {
    const auto src = values(k::width + 1, 1.f, 2.f, 3);
    for (int count = 0; count <= w + 1; ++count) {
        INFO("count " << count);
        const std::vector<float> got = lanes(k::load_partial(src.data(), count));
        for (int l = 0; l < w; ++l)
            CHECK(got[static_cast<std::size_t>(l)] == (l < count ? src[static_cast<std::size_t>(l)] : 0.f));
        std::vector<float> dst(k::width + 2, -7.f);
        k::store_partial(dst.data() + 1, load(src), count);
        CHECK(dst[0] == -7.f);
        for (int l = 0; l <= w; ++l)
            CHECK(dst[static_cast<std::size_t>(l + 1)] == (l < std::min(count, w) ? src[static_cast<std::size_t>(l)] : -7.f));
    }
}

TEST_CASE("fma, min, max, select, comparisons, sqrt and division lane by lane") {
    const std::size_t n = 8 * k::width;
    auto a = values(n, -4.f, 4.f, 4), b = values(n, -4.f, 4.f, 5), c = values(n, -4.f, 4.f, 6);
    a[0] = 0.f, a[1] = -0.f, b[0] = -0.f, b[2] = a[2];  // ties and zeros
    for (std::size_t i = 5; i < n; i += 3) b[i] = a[i];  // ties in every register, at varying lanes
    std::vector<float> fma, mn, mx, sel, lt, eq, sq, dv;
    std::vector<double> fma_r, mn_r, mx_r, sel_r, lt_r, eq_r, sq_r, dv_r;
    for (std::size_t i = 0; i < n; i += k::width) {
        const k::vfloat x = load(a, i), y = load(b, i), z = load(c, i);
        for (float v : lanes(xsimd::fma(x, y, z))) fma.push_back(v);
        for (float v : lanes(xsimd::min(x, y))) mn.push_back(v);
        for (float v : lanes(xsimd::max(x, y))) mx.push_back(v);
        for (float v : lanes(xsimd::select(x > y, x, z))) sel.push_back(v);
        for (float v : lanes(xsimd::select(x < y, k::vfloat(1.f), k::vfloat(0.f)))) lt.push_back(v);
        for (float v : lanes(xsimd::select(x == y, k::vfloat(1.f), k::vfloat(0.f)))) eq.push_back(v);
        for (float v : lanes(xsimd::sqrt(xsimd::abs(x)))) sq.push_back(v);
        for (float v : lanes(x / (y + k::vfloat(5.f)))) dv.push_back(v);
    }
    for (std::size_t i = 0; i < n; ++i) {
        const double x = a[i], y = b[i], z = c[i];
        fma_r.push_back(x * y + z);
        mn_r.push_back(std::min(x, y));
        mx_r.push_back(std::max(x, y));
        sel_r.push_back(x > y ? x : z);
        lt_r.push_back(x < y ? 1.0 : 0.0);
        eq_r.push_back(a[i] == b[i] ? 1.0 : 0.0);
        sq_r.push_back(std::sqrt(std::fabs(a[i])));
        dv_r.push_back(static_cast<double>(a[i] / (b[i] + 5.f)));
    }
    check_close(fma, fma_r, 1e-6, "fma");
    check_close(mn, mn_r, 0.0, "min");
    check_close(mx, mx_r, 0.0, "max");
    check_close(sel, sel_r, 0.0, "select(x > y)");
    check_close(lt, lt_r, 0.0, "select(x < y)");
    check_close(eq, eq_r, 0.0, "select(x == y)");
    check_close(sq, sq_r, 2e-7, "sqrt");
    check_close(dv, dv_r, 0.0, "division");
}

TEST_CASE("exp and tanh against the C library, over the range the activations use") {
    auto x = values(64 * k::width, -30.f, 30.f, 7);
    const float edges[] = {0.f, -0.f, 1e-8f, -1e-8f, 88.f, -87.f, -100.f, -200.f,
                           9.f, -9.f, 20.f,  -20.f,  0.5f, -0.5f, 1e-3f,  -1e-3f};
    for (std::size_t i = 0; i < std::size(edges) && i < x.size(); ++i) x[i] = edges[i];
    std::vector<float> e, t;
    std::vector<double> e_r, t_r;
    for (std::size_t i = 0; i < x.size(); i += k::width) {
        for (float v : lanes(xsimd::exp(load(x, i)))) e.push_back(v);
        for (float v : lanes(xsimd::tanh(load(x, i)))) t.push_back(v);
    }
    for (float v : x) {
        e_r.push_back(std::exp(static_cast<double>(v)));
        t_r.push_back(std::tanh(static_cast<double>(v)));
    }
    // Relative for exp (values span 1e-87 to 1e38), absolute for tanh.
    std::size_t bad_exp = 0;
    for (std::size_t i = 0; i < e.size(); ++i) {
        const double want = e_r[i];
        const double err = want < 1e-37 ? std::fabs(e[i] - want) : std::fabs(e[i] - want) / want;
        if (!(err <= 1e-6)) {
            ++bad_exp;
            MESSAGE("exp(" << x[i] << ") = " << e[i] << ", expected " << want);
        }
    }
    CHECK(bad_exp == 0);
    check_close(t, t_r, 1e-6, "tanh");
}

TEST_CASE("every activation and derivative: the vector form equals the scalar form") {
    auto x = values(32 * k::width, -12.f, 12.f, 8);
    x[0] = 0.f, x[1] = -0.f;
    for (act a : {act::identity, act::relu, act::leaky_relu, act::elu, act::tanh, act::sigmoid, act::gelu, act::silu}) {
        for (float p : {0.01f, 0.2f, 1.f, 0.5f}) {
            std::vector<float> fwd, back;
            std::vector<double> fwd_r, back_r;
            k::dispatch_act(a, [&]<act A>() {
                for (std::size_t i = 0; i < x.size(); i += k::width) {
                    for (float v : lanes(k::activate<A>(load(x, i), p))) fwd.push_back(v);
                    for (float v : lanes(k::derivative<A>(load(x, i), p))) back.push_back(v);
                }
                for (float v : x) {
                    fwd_r.push_back(k::activate<A>(v, p));
                    back_r.push_back(k::derivative<A>(v, p));
                }
            });
            const std::string name = std::string(sn::detail::act_name(a)) + " with parameter " + std::to_string(p);
            check_close(fwd, fwd_r, 2e-6, name);
            check_close(back, back_r, 1e-6, name + ", derivative");
        }
    }
}

TEST_CASE("every activation passes NaN and infinities on, in vector and scalar form") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    for (act a : {act::identity, act::relu, act::leaky_relu, act::elu, act::tanh, act::sigmoid}) {
        k::dispatch_act(a, [&]<act A>() {
            INFO(sn::detail::act_name(a));
            CHECK(std::isnan(lanes(k::activate<A>(k::vfloat(nan), 0.1f))[0]));
            CHECK(std::isnan(k::activate<A>(nan, 0.1f)));
            // +inf: inf for the unbounded ones, 1 for Tanh and Sigmoid; -inf: their lower limit.
            const float up = a == act::tanh || a == act::sigmoid ? 1.f : inf;
            const float down = a == act::identity || a == act::leaky_relu ? -inf
                               : a == act::relu || a == act::sigmoid      ? 0.f
                               : a == act::tanh                           ? -1.f
                                                                          : -0.1f;
            CHECK(lanes(k::activate<A>(k::vfloat(inf), 0.1f))[0] == up);
            CHECK(k::activate<A>(inf, 0.1f) == up);
            CHECK(lanes(k::activate<A>(k::vfloat(-inf), 0.1f))[0] == down);
            CHECK(k::activate<A>(-inf, 0.1f) == down);
        });
    }
}

// ---- erf, exp at its limits, and the GELU and SiLU kernels ----------------------------
// GELU needs xsimd::erf (forward and derivative) and exp(-x^2 / 2) (derivative); SiLU needs
// exp(-x) up to its overflow to +inf (then x / inf = 0), division and negation. Each against
// double code written here, not against the library's scalar forms.

namespace {

constexpr float flt_max = std::numeric_limits<float>::max(), flt_min = std::numeric_limits<float>::min(),
                denorm = std::numeric_limits<float>::denorm_min();

// Inputs for erf, GELU and SiLU, a multiple of 16 long (whole vectors at every width): a block
// with |x| < 2/3 in every lane (xsimd's erf then returns from its polynomial branch alone), a
// block with |x| >= 2/3 in every lane (only its exp branch), the edges (zeros, subnormals, the
// branch boundary, tails, +-large; a mix in most vectors), then random values near zero and
// over [-12, 12]. No infinity and no NaN (a test of their own below).
std::vector<float> math_inputs() {
    std::vector<float> x;
    for (int i = 0; i < 16; ++i) x.push_back(static_cast<float>(i - 8) * (0.66f / 8.f) + 0.001f);  // all small
    for (int i = 0; i < 16; ++i) x.push_back((i % 2 ? -1.f : 1.f) * (0.67f + 0.45f * static_cast<float>(i)));  // all large
    const float two_thirds = 2.f / 3.f;
    const float edges[] = {0.f,
                           -0.f,
                           denorm,
                           -denorm,
                           1e-40f,
                           -1e-40f,
                           flt_min,
                           -flt_min,
                           1e-30f,
                           -1e-20f,
                           1e-8f,
                           -1e-8f,
                           1e-4f,
                           -1e-4f,
                           0.1f,
                           -0.1f,
                           two_thirds,
                           -two_thirds,
                           std::nextafter(two_thirds, 0.f),
                           -std::nextafter(two_thirds, 0.f),
                           std::nextafter(two_thirds, 1.f),
                           -std::nextafter(two_thirds, 1.f),
                           0.5f,
                           -0.5f,
                           1.f,
                           -1.f,
                           1.5f,
                           -1.5f,
                           2.f,
                           -2.f,
                           2.5f,
                           -2.5f,
                           3.f,
                           -3.f,
                           3.5f,
                           -3.5f,
                           3.9f,
                           -3.9f,
                           4.f,
                           -4.f,
                           5.f,
                           -5.f,
                           6.f,
                           -6.f,
                           7.5f,
                           -7.5f,
                           9.f,
                           -9.f,
                           10.f,
                           -10.f,
                           13.f,
                           -13.f,
                           20.f,
                           -20.f,
                           30.f,
                           -30.f,
                           87.f,
                           -87.f,
                           88.5f,
                           -88.5f,
                           89.f,
                           -89.f,
                           100.f,
                           -100.f,
                           104.f,
                           -104.f,
                           1e4f,
                           -1e4f,
                           1e10f,
                           -1e10f,
                           1e19f,
                           -1e19f,
                           1e20f,
                           -1e20f,
                           1e30f,
                           -1e30f,
                           flt_max,
                           -flt_max};
    x.insert(x.end(), std::begin(edges), std::end(edges));
    for (float v : values(48, -0.7f, 0.7f, 40)) x.push_back(v);
    for (float v : values(256, -12.f, 12.f, 41)) x.push_back(v);
    while (x.size() % 16) x.push_back(0.25f * static_cast<float>(x.size() % 7) - 0.8f);
    return x;
}

// The double references: torch.nn.GELU() (exact form) and torch.nn.SiLU() with their
// derivatives; erfc keeps GELU accurate in its negative tail.
double gelu_ref(double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }
double gelu_grad_ref(double x) {
    return 0.5 * std::erfc(-x / std::sqrt(2.0)) + x * std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI);
}
double sigmoid_ref(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }
double silu_ref(double x) { return x * sigmoid_ref(x); }
double silu_grad_ref(double x) {
    const double s = sigmoid_ref(x);
    return s * (1.0 + x * (1.0 - s));
}

// |got - want| <= rel |want| + abs, element by element: erf's relative error (abs a few
// subnormal steps, for erf of a subnormal), and exp's down to where it underflows.
void check_relative(const std::vector<float>& x, const std::vector<float>& got, const std::vector<double>& want, double rel,
                    double abs, const std::string& what) {
    REQUIRE(got.size() == want.size());
    std::size_t bad = 0;
    double worst = 0.0;
    std::string first;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double err = std::fabs(got[i] - want[i]);
        const bool same_sign = std::signbit(got[i]) == std::signbit(want[i]) || got[i] == 0.f || want[i] == 0.0;
        if (want[i] != 0.0 && std::fabs(want[i]) > 1e-30) worst = std::max(worst, err / std::fabs(want[i]));
        if (!(err <= rel * std::fabs(want[i]) + abs) || !same_sign) {
            if (bad++ == 0)
                first = "x = " + std::to_string(x[i]) + " (" + std::to_string(static_cast<double>(x[i])) +
                        "): " + std::to_string(got[i]) + ", expected " + std::to_string(want[i]);
        }
    }
    INFO(what << ": " << bad << " of " << got.size() << " wrong, worst relative error " << worst << "; " << first);
    CHECK(bad == 0);
}

// Applies f to x a whole vector of batch type B at a time (x.size() a multiple of B::size).
template <class B, class F>
std::vector<float> map_vectors(const std::vector<float>& x, F f) {
    std::vector<float> out(x.size());
    for (std::size_t i = 0; i + B::size <= x.size(); i += B::size)
        f(B::load_unaligned(x.data() + i)).store_unaligned(out.data() + i);
    return out;
}

template <class B>
void check_erf_exp_on(const char* name) {
    INFO("xsimd batch<float, " << name << ">, " << B::size << " lanes");
    const std::vector<float> x = math_inputs();
    std::vector<double> erf_r, exp_r, gauss_r;
    for (float v : x) {
        erf_r.push_back(std::erf(static_cast<double>(v)));
        exp_r.push_back(std::exp(static_cast<double>(v)));
        // exp of the float argument the derivative computes: the rounding of -x^2 / 2 to float
        // alone makes a relative error of up to |x^2 / 2| 2^-24, which is not exp's.
        gauss_r.push_back(std::exp(static_cast<double>(-0.5f * v * v)));
    }
    const std::vector<float> erf = map_vectors<B>(x, [](B v) { return xsimd::erf(v); });
    check_relative(x, erf, erf_r, 5e-7, 3e-45, std::string("erf on ") + name);
    // Signed zeros kept, odd symmetry exact, |erf| <= 1.
    std::size_t asym = 0, over = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (x[i] == 0.f) CHECK(std::signbit(erf[i]) == std::signbit(x[i]));
        over += std::fabs(erf[i]) > 1.f;
    }
    std::vector<float> neg(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) neg[i] = -x[i];
    const std::vector<float> erf_neg = map_vectors<B>(neg, [](B v) { return xsimd::erf(v); });
    for (std::size_t i = 0; i < x.size(); ++i) asym += erf_neg[i] != -erf[i];
    CHECK(asym == 0);
    CHECK(over == 0);

    // exp over the whole float range: overflow to +inf (SiLU's exp(-x) then gives x / inf = -0),
    // underflow to 0 (GELU's exp(-x^2 / 2) for large |x|, x x = inf included). Relative error
    // while the result is a normal float, absolute below. xsimd 8.1 returns +inf from its
    // maxlog, 88.3763 (log(FLT_MAX) is 88.7228), so 2e38 < exp(x) <= FLT_MAX may come out as
    // +inf: SiLU(x) for x in [-88.72, -88.38] is then -0 instead of about -3e-37.
    constexpr float xsimd_maxlog = 88.3762626647949f;
    const std::vector<float> e = map_vectors<B>(x, [](B v) { return xsimd::exp(v); });
    std::vector<float> e_f;
    std::vector<double> e_r;
    std::size_t overflow = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (exp_r[i] > flt_max || x[i] >= xsimd_maxlog) {
            overflow += e[i] != std::numeric_limits<float>::infinity();
            continue;
        }
        e_f.push_back(e[i]);
        e_r.push_back(exp_r[i]);
    }
    CHECK(overflow == 0);
    check_relative(x, e_f, e_r, 1e-6, 1.2e-38, std::string("exp on ") + name);
    const std::vector<float> g = map_vectors<B>(x, [](B v) { return xsimd::exp(B(-0.5f) * v * v); });
    check_relative(x, g, gauss_r, 2e-6, 1.2e-38, std::string("exp(-x^2 / 2) on ") + name);
}

}  // namespace

TEST_CASE(
    "erf and exp against double code at every width this build has, both erf branches, tails, zeros, subnormals and +-large") {
    check_erf_exp_on<k::vfloat>(k::arch_name());
#if defined(__AVX512F__) || defined(__AVX__)
    check_erf_exp_on<xsimd::batch<float, xsimd::sse2>>("sse2");
#endif
#if defined(__AVX512F__) && defined(__AVX2__)
    check_erf_exp_on<xsimd::batch<float, xsimd::avx2>>("avx2");
#endif
}

TEST_CASE("erf, exp, NaN and the infinities: erf(+-inf) = +-1, exp(+inf) = inf, exp(-inf) = 0, NaN stays NaN") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    for (int lane = 0; lane < w; ++lane) {
        INFO("lane " << lane);
        std::vector<float> v(k::width, 0.5f);
        v[static_cast<std::size_t>(lane)] = inf;
        CHECK(lanes(xsimd::erf(load(v)))[static_cast<std::size_t>(lane)] == 1.f);
        CHECK(lanes(xsimd::exp(load(v)))[static_cast<std::size_t>(lane)] == inf);
        v[static_cast<std::size_t>(lane)] = -inf;
        CHECK(lanes(xsimd::erf(load(v)))[static_cast<std::size_t>(lane)] == -1.f);
        CHECK(lanes(xsimd::exp(load(v)))[static_cast<std::size_t>(lane)] == 0.f);
        v[static_cast<std::size_t>(lane)] = nan;
        CHECK(std::isnan(lanes(xsimd::erf(load(v)))[static_cast<std::size_t>(lane)]));
        CHECK(std::isnan(lanes(xsimd::exp(load(v)))[static_cast<std::size_t>(lane)]));
        // The other lanes are untouched by their neighbour.
        CHECK(lanes(xsimd::erf(load(v)))[static_cast<std::size_t>((lane + 1) % w)] ==
              doctest::Approx(std::erf(0.5)).epsilon(1e-6));
    }
}

TEST_CASE("erf of a masked tail: the first count lanes (load_partial / store_partial) as in whole vectors") {
    const std::vector<float> x = math_inputs();
    for (int count = 1; count < w; ++count) {
        INFO("count " << count);
        std::size_t bad = 0;
        for (std::size_t at = 0; at + static_cast<std::size_t>(count) <= x.size(); at += static_cast<std::size_t>(count)) {
            std::vector<float> out(k::width + 1, -7.f);
            k::store_partial(out.data(), xsimd::erf(k::load_partial(x.data() + at, count)), count);
            for (int l = 0; l < count; ++l) {
                const double want = std::erf(static_cast<double>(x[at + static_cast<std::size_t>(l)]));
                bad += !(std::fabs(out[static_cast<std::size_t>(l)] - want) <= 1e-6 * std::fabs(want) + 3e-45);
            }
            for (int l = count; l <= w; ++l) bad += out[static_cast<std::size_t>(l)] != -7.f;
        }
        CHECK(bad == 0);
    }
}

TEST_CASE("the GELU and SiLU kernels, forward and derivative, against double formulas, whole vectors and every tail length") {
    const std::vector<float> x = math_inputs();
    struct ref {
        act a;
        double (*f)(double);
        double (*df)(double);
    };
    for (const ref r : {ref{act::gelu, gelu_ref, gelu_grad_ref}, ref{act::silu, silu_ref, silu_grad_ref}}) {
        const std::string name(sn::detail::act_name(r.a));
        CHECK_FALSE(sn::detail::derivative_from_output(r.a));  // so the backward pass below takes x
        std::vector<double> f_r, df_r;
        for (float v : x) {
            f_r.push_back(r.f(v));
            df_r.push_back(r.df(v));
        }
        k::dispatch_act(r.a, [&]<act A>() {
            // The vector forms, then the scalar forms (the kernels' tails).
            std::vector<float> fv = map_vectors<k::vfloat>(x, [](k::vfloat v) { return k::activate<A>(v, 0.f); });
            std::vector<float> dv = map_vectors<k::vfloat>(x, [](k::vfloat v) { return k::derivative<A>(v, 0.f); });
            check_close(fv, f_r, 1e-6, name + " (vector)");
            check_close(dv, df_r, 1e-6, name + " derivative (vector)");
            std::vector<float> fs, ds;
            for (float v : x) {
                fs.push_back(k::activate<A>(v, 0.f));
                ds.push_back(k::derivative<A>(v, 0.f));
            }
            check_close(fs, f_r, 1e-6, name + " (scalar)");
            check_close(ds, df_r, 1e-6, name + " derivative (scalar)");
        });
        // activation_forward (in place, rows x cols) and activation_backward (d *= f'(x)) on
        // n values for every n up to three vectors and a bit, and the whole input: each tail
        // length, written exactly n values.
        const std::vector<float> d = values(x.size(), -2.f, 2.f, 42);
        std::vector<std::size_t> sizes;
        for (std::size_t n = 0; n <= 3 * k::width + 1; ++n) sizes.push_back(n);
        sizes.push_back(x.size() - 1);
        sizes.push_back(x.size());
        for (const std::size_t n : sizes) {
            INFO(name << ", n = " << n);
            const std::size_t off = n % 3;  // unaligned starts too
            std::vector<float> y(x.size() + 4, -7.f), g(x.size() + 4, -7.f);
            std::copy(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n), y.begin() + static_cast<std::ptrdiff_t>(off));
            std::copy(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(n), g.begin() + static_cast<std::ptrdiff_t>(off));
            const std::size_t cols = n % 2 ? n : n / 2, rows = n == 0 ? 0 : n / cols;
            k::activation_forward(y.data() + off, rows, cols, r.a, 0.f);
            k::activation_backward(g.data() + off, x.data(), n, r.a, 0.f);
            std::vector<float> yf(y.begin() + static_cast<std::ptrdiff_t>(off), y.begin() + static_cast<std::ptrdiff_t>(off + n));
            std::vector<float> gf(g.begin() + static_cast<std::ptrdiff_t>(off), g.begin() + static_cast<std::ptrdiff_t>(off + n));
            std::vector<double> yr(f_r.begin(), f_r.begin() + static_cast<std::ptrdiff_t>(n)), gr;
            for (std::size_t i = 0; i < n; ++i) gr.push_back(static_cast<double>(d[i]) * df_r[i]);
            check_close(yf, yr, 1e-6, name + " activation_forward");
            check_close(gf, gr, 1e-6, name + " activation_backward");
            std::size_t touched = 0;
            for (std::size_t i = 0; i < y.size(); ++i)
                if (i < off || i >= off + n) touched += (y[i] != -7.f) + (g[i] != -7.f);
            CHECK(touched == 0);
        }
    }
}

TEST_CASE("GELU and SiLU on NaN and the infinities: NaN stays NaN, +inf gives +inf, vector and scalar forms agree") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    const auto same = [](float a, float b) { return a == b || (std::isnan(a) && std::isnan(b)); };
    for (act a : {act::gelu, act::silu}) {
        k::dispatch_act(a, [&]<act A>() {
            INFO(sn::detail::act_name(a));
            CHECK(std::isnan(lanes(k::activate<A>(k::vfloat(nan), 0.f))[0]));
            CHECK(std::isnan(k::activate<A>(nan, 0.f)));
            CHECK(std::isnan(lanes(k::derivative<A>(k::vfloat(nan), 0.f))[0]));
            CHECK(std::isnan(k::derivative<A>(nan, 0.f)));
            CHECK(lanes(k::activate<A>(k::vfloat(inf), 0.f))[0] == inf);
            CHECK(k::activate<A>(inf, 0.f) == inf);
            for (float v : {inf, -inf}) {
                INFO("x = " << v);
                CHECK(same(lanes(k::activate<A>(k::vfloat(v), 0.f))[0], k::activate<A>(v, 0.f)));
                CHECK(same(lanes(k::derivative<A>(k::vfloat(v), 0.f))[0], k::derivative<A>(v, 0.f)));
            }
            // A NaN lane leaves its neighbours alone.
            std::vector<float> v(k::width, 1.f);
            v[0] = nan;
            const std::vector<float> out = lanes(k::activate<A>(load(v), 0.f));
            for (int l = 1; l < w; ++l) CHECK(out[static_cast<std::size_t>(l)] == k::activate<A>(1.f, 0.f));
        });
    }
}

TEST_CASE("integer lanes: counter_bits, bits_to_unit and lane_indices match their scalar forms") {
    for (std::uint64_t key : {0ull, 1ull, 0xDEADBEEFCAFEF00Dull}) {
        for (std::uint32_t base : {0u, 7u, 123456789u, 0xFFFFFFF0u}) {
            alignas(k::alignment) std::uint32_t idx[k::width], bits[k::width];
            k::lane_indices(base).store_aligned(idx);
            const k::vuint vb = k::counter_bits(key, k::lane_indices(base));
            vb.store_aligned(bits);
            const std::vector<float> unit = lanes(k::bits_to_unit(vb));
            for (int l = 0; l < w; ++l) {
                const std::uint32_t i = base + static_cast<std::uint32_t>(l);
                INFO("key " << key << " index " << i);
                CHECK(idx[l] == i);
                CHECK(bits[l] == k::counter_bits(key, i));
                CHECK(unit[static_cast<std::size_t>(l)] == k::bits_to_unit(k::counter_bits(key, i)));
            }
        }
    }
}

#if defined(__SSE__)
TEST_CASE("the SSE transposes used by the packing (transpose4, transpose4_first, transpose6x4)") {
    std::vector<float> in(6 * 9);
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i);
    std::vector<float> out(4 * 11, -1.f);
    k::transpose4(in.data(), 9, out.data(), 11);
    for (int r = 0; r < 4; ++r)
        for (int c = 0; c < 4; ++c) CHECK(out[static_cast<std::size_t>(c * 11 + r)] == in[static_cast<std::size_t>(r * 9 + c)]);
    for (int count = 1; count <= 3; ++count) {
        std::fill(out.begin(), out.end(), -1.f);
        k::transpose4_first(in.data(), 9, out.data(), 11, count);
        for (int c = 0; c < 4; ++c)
            for (int r = 0; r < 4; ++r)
                CHECK(out[static_cast<std::size_t>(c * 11 + r)] == (c < count ? in[static_cast<std::size_t>(r * 9 + c)] : -1.f));
    }
    std::vector<float> six(24, -1.f);
    k::transpose6x4(in.data(), 9, six.data());
    for (int r = 0; r < 6; ++r)
        for (int c = 0; c < 4; ++c) CHECK(six[static_cast<std::size_t>(c * 6 + r)] == in[static_cast<std::size_t>(r * 9 + c)]);
}
#endif

#if defined(__AVX512F__)
TEST_CASE("AVX-512 interleave<N> transposes N sequences for every N the packing uses") {
    const auto run = [&]<int N>() {
        k::vfloat v[N], out[N];
        for (int i = 0; i < N; ++i) {
            std::vector<float> l(k::width);
            for (int j = 0; j < w; ++j) l[static_cast<std::size_t>(j)] = static_cast<float>(i * 100 + j);
            v[i] = load(l);
        }
        k::interleave<N>(v, out);
        // out, read as one array, holds v[0][0], v[1][0], ..., v[N-1][0], v[0][1], ...
        std::vector<float> flat;
        for (int i = 0; i < N; ++i)
            for (float x : lanes(out[i])) flat.push_back(x);
        int wrong = 0;
        for (int p = 0; p < N * w; ++p) wrong += flat[static_cast<std::size_t>(p)] != static_cast<float>((p % N) * 100 + p / N);
        INFO("N = " << N);
        CHECK(wrong == 0);
    };
    run.template operator()<1>();
    run.template operator()<2>();
    run.template operator()<4>();
    run.template operator()<8>();
    run.template operator()<16>();
}
#endif

TEST_CASE("the first-use self-check passes here, and names the architecture and primitive when one disagrees") {
    const k::simd_fault f = k::find_simd_fault();
    INFO(f.primitive << ": " << f.detail);
    CHECK_FALSE(f);
    CHECK_NOTHROW(k::verify_simd());
    CHECK(sn::build_info().find("SIMD self-check passed") != std::string::npos);

    // A primitive that returns lane 2's value in lane 1, as a permuted haddp would.
    k::simd_fault bad;
    const float got[] = {0.f, 2.f, 2.f};
    const double want[] = {0.0, 1.0, 2.0};
    CHECK(k::detail_check::compare(bad, "reduce_add_each", got, want, 3, 0.0));
    REQUIRE(bad);
    const std::string message = k::simd_fault_message(bad);
    CHECK(message.find(k::arch_name()) != std::string::npos);
    CHECK(message.find("reduce_add_each") != std::string::npos);
    CHECK(message.find("element 1 is 2") != std::string::npos);
    // The first fault is kept; equal values within the tolerance are no fault.
    CHECK(k::detail_check::compare(bad, "other", got, want, 3, 0.0));
    CHECK(bad.primitive == "reduce_add_each");
    k::simd_fault none;
    const float close[] = {0.f, 1.0000001f, 2.f};
    CHECK_FALSE(k::detail_check::compare(none, "x", close, want, 3, 1e-6));
    CHECK_FALSE(none);
}

TEST_CASE("the self-check's erf check catches an erf wrong on either of xsimd's branches, and names erf and the architecture") {
    k::simd_fault ok;
    k::detail_check::check_erf(ok);
    INFO(ok.primitive << ": " << ok.detail);
    CHECK_FALSE(ok);
    // Wrong by 1e-4 only where |x| < 2/3 (the polynomial), then only where |x| >= 2/3 (the exp
    // branch), then lanes 0 and 1 swapped, as a permuted shuffle would.
    const auto small_wrong = [](k::vfloat v) {
        return xsimd::select(xsimd::abs(v) < k::vfloat(2.f / 3.f), xsimd::erf(v) * k::vfloat(1.0001f), xsimd::erf(v));
    };
    const auto large_wrong = [](k::vfloat v) {
        return xsimd::select(xsimd::abs(v) >= k::vfloat(2.f / 3.f), xsimd::erf(v) + k::vfloat(1e-4f), xsimd::erf(v));
    };
    const auto swapped = [](k::vfloat v) {
        std::vector<float> l = lanes(xsimd::erf(v));
        std::swap(l[0], l[1]);
        return load(l);
    };
    int which = 0;
    for (k::vfloat (*wrong)(k::vfloat) : {+small_wrong, +large_wrong, +swapped}) {
        INFO("wrong erf " << which++);
        k::simd_fault f;
        k::detail_check::check_erf(f, wrong);
        REQUIRE(f);
        CHECK(f.primitive.find("erf") != std::string::npos);
        // The whole self-check runs the erf check and reports it.
        const k::simd_fault all = k::find_simd_fault(wrong);
        REQUIRE(all);
        CHECK(all.primitive == f.primitive);
        const std::string message = k::simd_fault_message(all);
        CHECK(message.find(k::arch_name()) != std::string::npos);
        CHECK(message.find("erf (GELU) disagrees with scalar code") != std::string::npos);
    }
    // Every activation of the table with math of its own is among those checked, and its
    // faults name its primitives.
    for (unsigned code = 0; code < sn::detail::act_count; ++code) {
        const act a = static_cast<act>(code);
        if (a == act::identity || a == act::softmax) continue;
        INFO(sn::detail::act_name(a));
        CHECK(std::find(std::begin(k::detail_check::checked_activations), std::end(k::detail_check::checked_activations), a) !=
              std::end(k::detail_check::checked_activations));
    }
    CHECK(std::string(k::detail_check::forward_primitive(act::gelu)).find("erf") != std::string::npos);
    CHECK(std::string(k::detail_check::derivative_primitive(act::gelu)).find("GELU's derivative") != std::string::npos);
    CHECK(std::string(k::detail_check::forward_primitive(act::silu)).find("SiLU") != std::string::npos);
    CHECK(std::string(k::detail_check::derivative_primitive(act::silu)).find("SiLU's derivative") != std::string::npos);
}

SANENET_KERNELS_END
