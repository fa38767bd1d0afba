#!/usr/bin/env python3
"""Source rules that keep the numbers honest, checked by ctest (tools.check_sources):

1. The oracle shares no code with what it checks: tests/unit/reference_trainer.hpp includes
   standard headers only (no sanenet, xsimd or xtensor, nothing in quotes).
2. The kernels use sanenet's own horizontal sums (kernels/simd.hpp: reduce_add,
   reduce_add_each), never xsimd::hadd or xsimd::haddp: xsimd 8.1's AVX-512 haddp returns its
   sums in a permuted lane order.

    tools/check_sources.py [--root DIR]
"""
import argparse
import os
import re
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    root = ap.parse_args().root
    problems = []

    oracle = os.path.join(root, "tests", "unit", "reference_trainer.hpp")
    with open(oracle) as f:
        for n, line in enumerate(f, 1):
            m = re.match(r"\s*#\s*include\s*(\S+)", line)
            if m and not re.fullmatch(r"<[a-z_]+>", m.group(1)):
                problems.append(f"{oracle}:{n}: the oracle includes {m.group(1)}; it may include standard headers only")

    for dirpath, _, files in os.walk(os.path.join(root, "include")):
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path) as f:
                for n, line in enumerate(f, 1):
                    if re.search(r"xsimd::hadd", line):
                        problems.append(f"{path}:{n}: xsimd::hadd/haddp; use kernels::reduce_add / reduce_add_each")

    for p in problems:
        print(p)
    print(f"check_sources: {'FAILED, ' + str(len(problems)) + ' problem(s)' if problems else 'OK'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
