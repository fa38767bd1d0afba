#!/usr/bin/env python3
"""Two TUs built with different sanenet settings must not link against each other's sanenet
functions (ctest tools.abi_mix; core/config.hpp, SANENET_ABI).

TU a defines `void take(const sanenet::Evaluation&)`, TU b calls it. Built with the same
flags, they link. Built with different settings (kernel instruction set, zlib, an overridden
lint threshold), the link must fail with an undefined reference whose name shows both ABI
namespaces' difference, instead of silently sharing one TU's inline sanenet functions.

    tools/abi_check.py --cxx g++ --root .
"""
import argparse
import os
import subprocess
import sys
import tempfile

A = """#include <sanenet/sanenet.hpp>
void take(const sanenet::Evaluation& e) { (void)e; }
"""
B = """#include <sanenet/sanenet.hpp>
void take(const sanenet::Evaluation& e);
int main() { take(sanenet::Evaluation{}); }
"""

# (what differs, flags of a, flags of b, the ABI name part of a that b's reference lacks)
MIXES = [
    ("instruction set", ["-mavx2", "-mfma"], [], "fma3_avx2"),
    ("zlib", ["-DSANENET_WITH_ZLIB=0"], ["-DSANENET_WITH_ZLIB=1"], "_no_zlib"),
    ("a lint threshold", ["-DSANENET_LINT_MAX_DENSE_LAYERS=12"], [], "_custom_thresholds"),
]


def build(cxx, include, tmp, flags_a, flags_b):
    """(link succeeded, compiler output)."""
    objs = []
    for name, text, flags in (("a", A, flags_a), ("b", B, flags_b)):
        src, obj = os.path.join(tmp, name + ".cpp"), os.path.join(tmp, name + ".o")
        with open(src, "w") as f:
            f.write(text)
        r = subprocess.run([cxx, "-std=c++20", "-I", include, *flags, "-c", src, "-o", obj],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            sys.exit(f"abi_check: {name}.cpp {' '.join(flags)} does not compile:\n{r.stdout[-3000:]}")
        objs.append(obj)
    r = subprocess.run([cxx, *objs, "-o", os.path.join(tmp, "program")] + (["-lz"] if any("ZLIB=1" in f for f in flags_a + flags_b) else []),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode == 0, r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cxx", default="g++")
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = ap.parse_args()
    include = os.path.join(args.root, "include")
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for what, flags_a, flags_b, part in MIXES:
            same, out = build(args.cxx, include, tmp, flags_a, flags_a)
            if not same:
                print(f"FAIL  same settings ({' '.join(flags_a)}) do not link:\n{out[-2000:]}")
                failures += 1
                continue
            linked, out = build(args.cxx, include, tmp, flags_a, flags_b)
            if linked:
                print(f"FAIL  {what}: a ({' '.join(flags_a)}) and b ({' '.join(flags_b) or 'no flags'}) linked")
                failures += 1
            elif "undefined reference" not in out or "take(" not in out or part in out.split("undefined reference", 1)[1].split("\n")[0]:
                print(f"FAIL  {what}: the link failed, but not with b's undefined reference to take() without '{part}':\n{out[-2000:]}")
                failures += 1
            else:
                line = next(l for l in out.splitlines() if "undefined reference" in l)
                print(f"ok    {what}: same settings link; different ones do not: {line.strip()}")
    print(f"abi_check: {len(MIXES) - failures} of {len(MIXES)} settings keep TUs apart")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
