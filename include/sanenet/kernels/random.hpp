// Deterministic random numbers: xoshiro256** for sequential draws (initialization,
// shuffling) and a counter-based hash for dropout masks and noise, so that element i of
// step s is the same whichever thread computes it. Our own generators, not <random>'s
// distributions, whose output differs between standard libraries.
#pragma once

#include <sanenet/kernels/simd.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>
#if SANENET_DEFINITIONS
#include <cmath>
#include <utility>
#endif

SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

SANENET_INLINE std::uint64_t splitmix64(std::uint64_t& state);

// A key for one (seed, stream, counter) triple: e.g. (fit seed, layer, step).
SANENET_INLINE std::uint64_t derive_key(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter);

class rng {
public:
    explicit rng(std::uint64_t seed = 42);
    std::uint64_t next();
    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    // Uniform integer in [0, n), unbiased (rejects the last partial range).
    std::uint64_t below(std::uint64_t n);
    // Standard normal (Marsaglia's polar method).
    double normal();

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4];
    double spare_ = 0.0;
    bool has_spare_ = false;
};

// A Fisher-Yates shuffle of v by r's stream: the one shuffle of the samples (fit, the doctor,
// find_learning_rate) and of data::split.
SANENET_INLINE void shuffle(std::vector<std::size_t>& v, rng& r);

// Counter-based: 32 random bits for element idx under key (two rounds of lowbias32).
SANENET_ALWAYS_INLINE std::uint32_t hash32(std::uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}
SANENET_ALWAYS_INLINE std::uint32_t counter_bits(std::uint64_t key, std::uint32_t idx) {
    return hash32(hash32(idx ^ static_cast<std::uint32_t>(key)) + static_cast<std::uint32_t>(key >> 32));
}
// Uniform in [0, 1) from the top 23 bits.
SANENET_ALWAYS_INLINE float bits_to_unit(std::uint32_t b) { return static_cast<float>(b >> 9) * 0x1.0p-23f; }

}  // namespace sanenet::kernels
SANENET_KERNELS_END

#if SANENET_DEFINITIONS
SANENET_KERNELS_BEGIN
namespace sanenet::inline SANENET_ABI::kernels {

SANENET_INLINE std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

SANENET_INLINE std::uint64_t derive_key(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) {
    std::uint64_t s = seed ^ (stream * 0xD1B54A32D192ED03ull);
    splitmix64(s);
    s ^= counter * 0x8CB92BA72F3D8DD7ull;
    return splitmix64(s);
}

SANENET_INLINE rng::rng(std::uint64_t seed) {
    std::uint64_t s = seed;
    for (auto& x : s_) x = splitmix64(s);
}

SANENET_INLINE std::uint64_t rng::next() {
    const std::uint64_t r = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return r;
}

SANENET_INLINE std::uint64_t rng::below(std::uint64_t n) {
    const std::uint64_t limit = ~std::uint64_t{0} - ~std::uint64_t{0} % n;
    std::uint64_t r;
    do r = next();
    while (r >= limit);
    return r % n;
}

SANENET_INLINE void shuffle(std::vector<std::size_t>& v, rng& r) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[r.below(i)]);
}

SANENET_INLINE double rng::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    double u, v, s;
    do {
        u = 2.0 * uniform() - 1.0;
        v = 2.0 * uniform() - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
}

// The vector forms of hash32, counter_bits and bits_to_unit, lane by lane.
SANENET_ALWAYS_INLINE vuint hash32(vuint x) {
    x ^= x >> 16;
    x *= vuint(0x7feb352du);
    x ^= x >> 15;
    x *= vuint(0x846ca68bu);
    x ^= x >> 16;
    return x;
}
SANENET_ALWAYS_INLINE vuint counter_bits(std::uint64_t key, vuint idx) {
    return hash32(hash32(idx ^ vuint(static_cast<std::uint32_t>(key))) + vuint(static_cast<std::uint32_t>(key >> 32)));
}
SANENET_ALWAYS_INLINE vfloat bits_to_unit(vuint b) {
    return xsimd::bitwise_cast<vfloat>((b >> 9) | vuint(0x3F800000u)) - vfloat(1.f);
}
SANENET_ALWAYS_INLINE vuint lane_indices(std::uint32_t base) {
    alignas(alignment) std::uint32_t idx[width];
    for (std::size_t l = 0; l < width; ++l) idx[l] = base + static_cast<std::uint32_t>(l);
    return vuint::load_aligned(idx);
}

}  // namespace sanenet::kernels
SANENET_KERNELS_END
#endif  // SANENET_DEFINITIONS
