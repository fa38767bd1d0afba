/*
 * speed_probe.c - measures how fast code runs under the AVX-512 emulator.
 *
 * Build (emulator):  gcc -static -O2 -mavx512f -mavx512bw -mavx512dq -mavx512vl \
 *                        -DUSE_AVX512 speed_probe.c -o speed_probe
 * Build (native):    gcc -static -O2 -mavx2 -mfma speed_probe.c -o speed_probe_native
 *
 * Runs three phases and prints a "@@PHASE name@@" line before each, so the
 * host (run.sh --timestamps) can time them with the wall clock; the guest's
 * own clock is not wall time under bochs.
 *   fma:    a hand-written loop of 8 independent vector FMAs + 2 loop insns
 *           (ITER iterations => 10*ITER instructions exactly)
 *   scalar: a dependent integer loop (5 insns per iteration)
 *   matmul: a 192x192 float matrix multiply, compiler-vectorised
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <immintrin.h>

#ifdef USE_AVX512
#define VREG "zmm"
#else
#define VREG "ymm"
#endif

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void phase(const char *name) {
    printf("@@PHASE %s@@\n", name);
    fflush(stdout);
}

#define N 192
static float A[N][N], B[N][N], C[N][N];

int main(int argc, char **argv) {
    long iters = argc > 1 ? atol(argv[1]) : 2000000;
    double t0, t1;

    phase("fma");
    t0 = now();
    long n = iters;
    __asm__ volatile(
        "vxorps %%" VREG "0, %%" VREG "0, %%" VREG "0\n\t"
        "1:\n\t"
        "vfmadd231ps %%" VREG "8, %%" VREG "9, %%" VREG "0\n\t"
        "vfmadd231ps %%" VREG "8, %%" VREG "9, %%" VREG "1\n\t"
        "vfmadd231ps %%" VREG "8, %%" VREG "9, %%" VREG "2\n\t"
        "vfmadd231ps %%" VREG "8, %%" VREG "9, %%" VREG "3\n\t"
        "vfmadd231ps %%" VREG "8, %%" VREG "9, %%" VREG "4\n\t"
        "vfmadd231ps %%" VREG "8, %%" VREG "9, %%" VREG "5\n\t"
        "vfmadd231ps %%" VREG "8, %%" VREG "9, %%" VREG "6\n\t"
        "vfmadd231ps %%" VREG "8, %%" VREG "9, %%" VREG "7\n\t"
        "dec %0\n\t"
        "jnz 1b\n\t"
        : "+r"(n)
        :
        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
          "memory", "cc");
    t1 = now();
    printf("fma: %ld iterations = %ld instructions (%ld vector FMAs), guest clock %.3f s\n",
           iters, iters * 10, iters * 8, t1 - t0);

    phase("scalar");
    t0 = now();
    unsigned long x = 1;
    n = iters * 2;
    __asm__ volatile(
        "1:\n\t"
        "imul $1103515245, %1, %1\n\t"
        "add $12345, %1\n\t"
        "xor %1, %%rax\n\t"
        "dec %0\n\t"
        "jnz 1b\n\t"
        : "+r"(n), "+r"(x)
        :
        : "rax", "cc");
    t1 = now();
    printf("scalar: %ld iterations = %ld instructions, guest clock %.3f s (x=%lu)\n",
           iters * 2, iters * 10, t1 - t0, x & 0xff);

    phase("matmul");
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (float)((i + j) % 7);
            B[i][j] = (float)((i * j) % 5);
            C[i][j] = 0;
        }
    t0 = now();
    for (int i = 0; i < N; i++)
        for (int k = 0; k < N; k++) {
            float a = A[i][k];
            for (int j = 0; j < N; j++) C[i][j] += a * B[k][j];
        }
    t1 = now();
    double sum = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) sum += C[i][j];
    printf("matmul %dx%d: %.0f flops, checksum %.0f, guest clock %.3f s\n",
           N, N, 2.0 * N * N * N, sum, t1 - t0);
    phase("done");
    return 0;
}
