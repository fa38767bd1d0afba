// The bf16 GEMV (kernels/gemv_bf16.hpp) against a double-precision reference over the
// bf16-rounded weights, rounded here by arithmetic (scale to 8 significant bits, round half to
// even), sharing no code with the kernel's bit manipulation. Built per architecture (SSE2, AVX2,
// AVX-512), so every vector width and tail runs.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include <bit>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace k = sanenet::kernels;

namespace {

// x rounded to 8 significant bits (bf16's 1 + 7), ties to even, by scaling: std::nearbyint in
// the default rounding mode rounds half to even. Below 2^-126 the step is fixed (subnormals).
double reference_bf16(float x) {
    if (x == 0.f) return x;
    const int e = std::max(std::ilogb(x), -126);
    const double step = std::ldexp(1.0, e - 7);
    return std::nearbyint(static_cast<double>(x) / step) * step;
}

std::vector<float> random_vector(std::size_t n, std::uint64_t seed) {
    k::rng r(seed);
    std::vector<float> v(n);
    for (auto& x : v) x = static_cast<float>(r.normal());
    return v;
}

void check_gemv(int kk, int n, std::uint64_t seed) {
    const auto w = random_vector(static_cast<std::size_t>(kk) * n, seed),
               x = random_vector(static_cast<std::size_t>(kk), seed + 1),
               b = random_vector(static_cast<std::size_t>(n), seed + 2);
    std::vector<std::uint32_t> packed(k::bf16_packed_size(kk, n));
    k::pack_bf16(w.data(), kk, n, packed.data());
    // Guards past the output: the kernel writes y[0:n] only.
    std::vector<float> y(static_cast<std::size_t>(n) + 16, 12345.f);
    k::gemv_bf16(n, kk, x.data(), packed.data(), b.data(), y.data());
    for (int j = 0; j < n; ++j) {
        double ref = b[static_cast<std::size_t>(j)], magnitude = std::abs(ref);
        for (int i = 0; i < kk; ++i) {
            const double t =
                static_cast<double>(x[static_cast<std::size_t>(i)]) * reference_bf16(w[static_cast<std::size_t>(i) * n + j]);
            ref += t;
            magnitude += std::abs(t);
        }
        // fp32 accumulation of kk + 1 products: at most (kk + 2) u sum |terms| (u = 2^-24).
        const double bound = (kk + 2) * std::ldexp(1.0, -24) * magnitude;
        INFO("k = " << kk << ", n = " << n << ", output " << j);
        CHECK(std::abs(y[static_cast<std::size_t>(j)] - ref) <= bound);
    }
    for (int j = n; j < n + 16; ++j) CHECK(y[static_cast<std::size_t>(j)] == 12345.f);
}

}  // namespace

TEST_CASE("bf16 rounding: nearest, ties to even, on hand-picked bit patterns") {
    const auto bits = [](std::uint32_t u) { return k::bf16_from_float(std::bit_cast<float>(u)); };
    CHECK(bits(0x3f800000u) == 0x3f80);  // 1 exactly
    CHECK(bits(0x3f808000u) == 0x3f80);  // 1 + 2^-8: halfway between 1 (even) and 1 + 2^-7 (odd)
    CHECK(bits(0x3f818000u) == 0x3f82);  // 1 + 3 2^-8: halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even)
    CHECK(bits(0x3f808001u) == 0x3f81);  // just above halfway
    CHECK(bits(0x3f807fffu) == 0x3f80);  // just below halfway
    CHECK(bits(0xbf818000u) == 0xbf82);  // the sign does not change the rule
    CHECK(bits(0x3fffffffu) == 0x4000);  // the carry goes into the exponent
    CHECK(bits(0x00008000u) == 0x0000);  // the smallest subnormals: a tie to the even 0
    CHECK(bits(0x00018000u) == 0x0002);
    CHECK(bits(0x7f7fffffu) == 0x7f80);  // the largest float rounds up to +Inf in bf16 (quantize refuses it)
    CHECK(k::float_from_bf16(0x3f82) == 1.015625f);
}

TEST_CASE("bf16 rounding agrees with the arithmetic reference on random and scaled values") {
    k::rng r(7);
    for (int i = 0; i < 200000; ++i) {
        const float x = static_cast<float>(r.normal() * std::ldexp(1.0, static_cast<int>(r.uniform() * 200.0) - 100));
        INFO("x = " << x);
        REQUIRE(static_cast<double>(k::round_to_bf16(x)) == reference_bf16(x));
    }
    for (std::uint32_t u = 0x3f800000u; u < 0x3f820000u; ++u) {  // every pattern of [1, 1 + 2^-6)
        const float x = std::bit_cast<float>(u);
        INFO("bits = " << u);
        REQUIRE(static_cast<double>(k::round_to_bf16(x)) == reference_bf16(x));
    }
}

TEST_CASE("bf16 GEMV against a double reference: odd sizes, every tail, the MLP's shapes") {
    const int w = static_cast<int>(k::width);
    const int ks[] = {1, 2, 3, w - 1, w, w + 1, 2 * w + 1, 127, 784};
    std::uint64_t seed = 11;
    for (int kk : ks)
        for (int n = 1; n <= 17; ++n) check_gemv(kk, n, seed += 3);
    const int wide[] = {4 * w - 1, 4 * w + 1, 8 * w + 3, 16 * w + 5, 10, 128, 256};
    for (int n : wide)
        for (int kk : {1, 3, 128, 784}) check_gemv(kk, n, seed += 3);
}

TEST_CASE("bf16 GEMV without a bias, and the packed layout holds each pair of inputs in one lane") {
    const std::vector<float> w = {1.f, 2.f, 3.f, 4.f, 5.f, 6.f};  // 3 inputs x 2 outputs
    std::vector<std::uint32_t> packed(k::bf16_packed_size(3, 2));
    REQUIRE(packed.size() == 4);
    k::pack_bf16(w.data(), 3, 2, packed.data());
    CHECK(packed[0] == (0x3f80u | (0x4040u << 16)));  // W[0][0] = 1 low, W[1][0] = 3 high
    CHECK(packed[3] == 0x40c0u);  // W[2][1] = 6 low, nothing high
    const float x[3] = {1.f, 10.f, 100.f};
    float y[2];
    k::gemv_bf16(2, 3, x, packed.data(), nullptr, y);
    CHECK(y[0] == 531.f);
    CHECK(y[1] == 642.f);
}
