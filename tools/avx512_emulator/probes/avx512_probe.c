/*
 * avx512_probe.c - checks that the AVX-512 emulator really executes AVX-512.
 *
 * Build: gcc -static -O2 -mavx512f -mavx512bw -mavx512dq -mavx512vl \
 *            avx512_probe.c -o avx512_probe
 * Prints the avx512 flags of /proc/cpuinfo and of CPUID leaf 7, whether the
 * OS enabled the ZMM/opmask state in XCR0, then runs a few AVX-512
 * intrinsics with known results. Exit 0 if everything is right.
 */
#include <cpuid.h>
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures = 0;

static void check(const char *what, int ok) {
    printf("  %-40s %s\n", what, ok ? "ok" : "WRONG");
    if (!ok) failures++;
}

static void print_cpuinfo_flags(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) { printf("/proc/cpuinfo: not readable\n"); return; }
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0) printf("cpuinfo %s", line);
        if (strncmp(line, "flags", 5) == 0) {
            printf("cpuinfo avx512 flags:");
            for (char *tok = strtok(line, " \t\n"); tok; tok = strtok(NULL, " \t\n"))
                if (strstr(tok, "avx512")) printf(" %s", tok);
            printf("\n");
            break;
        }
    }
    fclose(f);
}

int main(void) {
    unsigned a, b, c, d;
    print_cpuinfo_flags();

    __cpuid_count(7, 0, a, b, c, d);
    printf("cpuid.7.0: avx512f=%u avx512dq=%u avx512bw=%u avx512vl=%u avx512cd=%u\n",
           (b >> 16) & 1, (b >> 17) & 1, (b >> 30) & 1, (b >> 31) & 1, (b >> 28) & 1);
    __cpuid(1, a, b, c, d);
    int osxsave = (c >> 27) & 1;
    unsigned xcr0 = 0;
    if (osxsave) {
        unsigned lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = lo;
    }
    printf("osxsave=%d xcr0=0x%x (need 0xe6 bits set: opmask/zmm_hi256/hi16_zmm)\n",
           osxsave, xcr0);
    check("XCR0 enables AVX-512 state", (xcr0 & 0xe6) == 0xe6);

    printf("AVX-512 intrinsics:\n");
    float x[16], y[16], out[16];
    for (int i = 0; i < 16; i++) { x[i] = (float)i; y[i] = 100.0f + i; }

    /* _mm512_add_ps */
    __m512 vx = _mm512_loadu_ps(x), vy = _mm512_loadu_ps(y);
    _mm512_storeu_ps(out, _mm512_add_ps(vx, vy));
    int ok = 1;
    for (int i = 0; i < 16; i++) ok &= out[i] == 100.0f + 2 * i;
    check("_mm512_add_ps", ok);

    /* _mm512_permutex2var_ps: idx bit 4 selects the table (x or y) */
    int32_t idx_a[16];
    for (int i = 0; i < 16; i++) idx_a[i] = (i % 2) ? (16 + (15 - i)) : i / 2;
    __m512i idx = _mm512_loadu_si512(idx_a);
    _mm512_storeu_ps(out, _mm512_permutex2var_ps(vx, idx, vy));
    ok = 1;
    for (int i = 0; i < 16; i++) {
        float want = (i % 2) ? y[15 - i] : x[i / 2];
        ok &= out[i] == want;
    }
    check("_mm512_permutex2var_ps", ok);

    /* _mm512_mask_storeu_ps: only the odd lanes are written */
    for (int i = 0; i < 16; i++) out[i] = -1.0f;
    _mm512_mask_storeu_ps(out, (__mmask16)0xAAAA, vy);
    ok = 1;
    for (int i = 0; i < 16; i++) ok &= out[i] == ((i % 2) ? y[i] : -1.0f);
    check("_mm512_mask_storeu_ps", ok);

    /* a masked FMA with zeroing and a horizontal reduce */
    __m512 f = _mm512_maskz_fmadd_ps((__mmask16)0x00FF, vx, vx, vy);
    float s = _mm512_reduce_add_ps(f);
    float want_s = 0;
    for (int i = 0; i < 8; i++) want_s += x[i] * x[i] + y[i];
    check("_mm512_maskz_fmadd_ps + reduce_add", s == want_s);

    /* AVX-512BW byte add and AVX-512VL 256-bit masked op */
    __m512i bytes = _mm512_set1_epi8(100);
    __m512i sum8 = _mm512_adds_epu8(bytes, _mm512_set1_epi8((char)200));
    uint8_t b8[64];
    _mm512_storeu_si512(b8, sum8);
    ok = 1;
    for (int i = 0; i < 64; i++) ok &= b8[i] == 255;
    check("_mm512_adds_epu8 (BW, saturating)", ok);

    __m256 v8 = _mm256_mask_add_ps(_mm256_set1_ps(7.0f), (__mmask8)0x0F,
                                   _mm256_set1_ps(1.0f), _mm256_set1_ps(2.0f));
    float o8[8];
    _mm256_storeu_ps(o8, v8);
    ok = 1;
    for (int i = 0; i < 8; i++) ok &= o8[i] == (i < 4 ? 3.0f : 7.0f);
    check("_mm256_mask_add_ps (VL)", ok);

    /* AVX-512DQ: 64-bit integer multiply */
    __m512i q = _mm512_mullo_epi64(_mm512_set1_epi64(0x100000001LL), _mm512_set1_epi64(3));
    int64_t q8[8];
    _mm512_storeu_si512(q8, q);
    ok = 1;
    for (int i = 0; i < 8; i++) ok &= q8[i] == 0x300000003LL;
    check("_mm512_mullo_epi64 (DQ)", ok);

    printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
