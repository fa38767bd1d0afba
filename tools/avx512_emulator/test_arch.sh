#!/usr/bin/env bash
# test_arch.sh - the AVX-512 builds of the per-architecture tests (tests/CMakeLists.txt:
# test_simd, test_gradients, test_oracle, test_kernels), run on an emulated AVX-512 CPU
# (run.sh), for machines without AVX-512. `make test-avx512-emulated` runs it.
#
# Usage: tools/avx512_emulator/test_arch.sh [--out DIR] [test ...]
#
# Builds each test statically (the emulated guest has no shared libraries) with the flags of
# the avx512 build, runs it, and prints one line per test; exits 1 if any failed. Slow: the
# emulator runs AVX-512 code ~200 times slower than the host (README.md): the four took 7
# minutes on a 2-core AMD EPYC, plus 10-25 minutes the first time for the guest kernel. The
# guest has one CPU, so the 2-thread cases split their work on one thread.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=/var/tmp/sanenet-avx512-emu/tests
if [ "${1:-}" = "--out" ]; then OUT=$2; shift 2; fi
TESTS=("$@")
[ ${#TESTS[@]} -gt 0 ] || TESTS=(simd gradients oracle kernels)
FLAGS=(-std=c++20 -O2 -static -mavx512f -mavx512bw -mavx512dq -mavx512vl -Wall -Wextra -Wpedantic -Werror -I "$ROOT/include")

mkdir -p "$OUT"
echo "test_arch: building ${TESTS[*]} for AVX-512 (static) in $OUT"
g++ "${FLAGS[@]}" -c "$ROOT/tests/unit/main.cpp" -o "$OUT/main.o"
for t in "${TESTS[@]}"; do
  g++ "${FLAGS[@]}" "$ROOT/tests/unit/test_$t.cpp" "$OUT/main.o" -o "$OUT/$t" -lz
done

status=0
summary=()
for t in "${TESTS[@]}"; do
  start=$(date +%s)
  if "$HERE/run.sh" --timeout 7200 -- "$OUT/$t" --no-colors=true; then
    summary+=("avx512 (emulated) $t: passed in $(( $(date +%s) - start )) s")
  else
    rc=$?
    summary+=("avx512 (emulated) $t: FAILED (exit status $rc) after $(( $(date +%s) - start )) s")
    status=1
  fi
done
printf '%s\n' "${summary[@]}"
exit $status
