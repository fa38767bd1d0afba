// xsimd_haddp_probe.cpp - checks xsimd::haddp on the widest available arch.
//
// Build (emulator, AVX-512):
//   g++ -std=c++20 -static -O2 -mavx512f -mavx512bw -mavx512dq -mavx512vl \
//       xsimd_haddp_probe.cpp -o xsimd_haddp_probe
// Build (native, AVX2):
//   g++ -std=c++20 -static -O2 -mavx2 -mfma xsimd_haddp_probe.cpp -o xsimd_haddp_probe_avx2
//
// Builds N = batch<float>::size vectors where vector r, lane j holds
// r*100 + j, calls xsimd::haddp and compares result lane r with the sum of
// vector r (N*r*100 + N*(N-1)/2). With Debian's xsimd 8.1.0 the avx512f
// kernel returns some lanes permuted (see the xsimd bug this probes).
// Exit 0 if every lane is right, 1 otherwise.
#include <xsimd/xsimd.hpp>

#include <cstdio>

int main() {
    using B = xsimd::batch<float>;
    constexpr std::size_t N = B::size;
    std::printf("xsimd %d.%d.%d, arch %s, batch<float>::size %zu\n", XSIMD_VERSION_MAJOR,
                XSIMD_VERSION_MINOR, XSIMD_VERSION_PATCH, B::arch_type::name(), N);

    B v[N];
    for (std::size_t r = 0; r < N; ++r) {
        alignas(64) float lanes[N];
        for (std::size_t j = 0; j < N; ++j) lanes[j] = float(r * 100 + j);
        v[r] = B::load_aligned(lanes);
    }
    alignas(64) float out[N];
    xsimd::haddp(v).store_aligned(out);

    int wrong = 0;
    for (std::size_t r = 0; r < N; ++r) {
        float want = float(N * r * 100 + N * (N - 1) / 2);
        bool ok = out[r] == want;
        wrong += !ok;
        // Which vector's sum landed here, if any?
        long from = -1;
        for (std::size_t s = 0; s < N; ++s)
            if (out[r] == float(N * s * 100 + N * (N - 1) / 2)) from = long(s);
        std::printf("lane %2zu: got %7.0f want %7.0f %s", r, out[r], want, ok ? "ok" : "WRONG");
        if (!ok && from >= 0) std::printf(" (= sum of vector %ld)", from);
        std::printf("\n");
    }
    std::printf("%s: %d of %zu lanes wrong\n", wrong ? "FAIL" : "PASS", wrong, N);
    return wrong ? 1 : 0;
}
