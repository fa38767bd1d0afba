// Every SIMD primitive the kernels rely on, against scalar code written here, at the width
// of the architecture this file is compiled for. CMake builds it once per architecture
// (arch.sse2.simd, arch.avx2.simd, arch.avx512.simd) and runs each build where the CPU has
// it: xsimd 8.1's AVX-512 haddp returned permuted lanes, and only a run on AVX-512 showed it.
// Also the first-use self-check (kernels/self_check.hpp) and what it says when one fails.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

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
            if (bad++ == 0) first = "element " + std::to_string(i) + ": " + std::to_string(got[i]) + ", expected " + std::to_string(want[i]);
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
        for (int l = 0; l < w; ++l) CHECK(got[static_cast<std::size_t>(l)] == (l < count ? src[static_cast<std::size_t>(l)] : 0.f));
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
    a[0] = 0.f, a[1] = -0.f, b[2] = a[2];  // ties and zeros
    std::vector<float> fma, mn, mx, sel, lt, sq, dv;
    std::vector<double> fma_r, mn_r, mx_r, sel_r, lt_r, sq_r, dv_r;
    for (std::size_t i = 0; i < n; i += k::width) {
        const k::vfloat x = load(a, i), y = load(b, i), z = load(c, i);
        for (float v : lanes(xsimd::fma(x, y, z))) fma.push_back(v);
        for (float v : lanes(xsimd::min(x, y))) mn.push_back(v);
        for (float v : lanes(xsimd::max(x, y))) mx.push_back(v);
        for (float v : lanes(xsimd::select(x > y, x, z))) sel.push_back(v);
        for (float v : lanes(xsimd::select(x < y, k::vfloat(1.f), k::vfloat(0.f)))) lt.push_back(v);
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
        sq_r.push_back(std::sqrt(std::fabs(a[i])));
        dv_r.push_back(static_cast<double>(a[i] / (b[i] + 5.f)));
    }
    check_close(fma, fma_r, 1e-6, "fma");
    check_close(mn, mn_r, 0.0, "min");
    check_close(mx, mx_r, 0.0, "max");
    check_close(sel, sel_r, 0.0, "select(x > y)");
    check_close(lt, lt_r, 0.0, "select(x < y)");
    check_close(sq, sq_r, 2e-7, "sqrt");
    check_close(dv, dv_r, 0.0, "division");
}

TEST_CASE("exp and tanh against the C library, over the range the activations use") {
    auto x = values(64 * k::width, -30.f, 30.f, 7);
    const float edges[] = {0.f, -0.f, 1e-8f, -1e-8f, 88.f, -87.f, -100.f, -200.f, 9.f, -9.f, 20.f, -20.f, 0.5f, -0.5f, 1e-3f, -1e-3f};
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
            const float down = a == act::identity || a == act::leaky_relu ? -inf : a == act::relu || a == act::sigmoid ? 0.f : a == act::tanh ? -1.f : -0.1f;
            CHECK(lanes(k::activate<A>(k::vfloat(inf), 0.1f))[0] == up);
            CHECK(k::activate<A>(inf, 0.1f) == up);
            CHECK(lanes(k::activate<A>(k::vfloat(-inf), 0.1f))[0] == down);
            CHECK(k::activate<A>(-inf, 0.1f) == down);
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

SANENET_KERNELS_END
