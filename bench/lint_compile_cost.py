#!/usr/bin/env python3
"""Compile-time cost of sanenet's lint machinery.

Compiles (g++ -fsyntax-only) a translation unit that declares and constructs an 8-layer
and a 100-layer network, with the lints on and with them compiled out by the test-only
switch SANENET_TESTING_DISABLE_LINTS, several times each, interleaved, and prints the
fastest and the median CPU times and their differences. Usage: bench/lint_compile_cost.py [--runs N]
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def network(hidden_blocks):
    items = ["sn::Input<64>"]
    for _ in range(hidden_blocks):
        items += ["sn::Dropout<0.9>", "sn::Dense<256, sn::He>", "sn::ReLU"]
    items += ["sn::Dense<10>", "sn::Softmax"]
    return items


def source(items):
    body = ",\n    ".join(["sn::Classification<10>", "sn::Allow<sn::lint::TooDeep>"] + items)
    return ("#include <sanenet/sanenet.hpp>\nnamespace sn = sanenet;\n"
            f"using Net = sn::Network<\n    {body}>;\n"
            "int main() { Net net; return Net::input_size + static_cast<int>(Net::parameter_count % 7); }\n")


def compile_seconds(path, disable):
    """CPU time (user + system) of the compiler: steadier than wall time on a shared machine."""
    cmd = ["g++", "-std=c++20", "-fsyntax-only", "-isystem", os.path.join(ROOT, "include"), path]
    if disable:
        cmd.insert(1, "-DSANENET_TESTING_DISABLE_LINTS")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases = {}
        for label, blocks in (("8 Dense", 7), ("100 items", 33), ("100 Dense", 99)):
            items = network(blocks)
            path = os.path.join(tmp, f"net_{blocks}.cpp")
            with open(path, "w") as f:
                f.write(source(items))
            cases[label] = (path, len(items))
        # The fastest of several runs is the steadiest estimate of a deterministic compile on a
        # shared machine (the others are the same work plus interference); the medians are printed too.
        print(f"g++ -fsyntax-only, CPU seconds over {args.runs} interleaved runs: fastest (median)")
        print(f"{'network':<12}{'items':>6}{'lints on':>17}{'lints off':>17}{'cost':>16}")
        for label, (path, n) in cases.items():
            on, off = [], []
            for _ in range(args.runs):
                on.append(compile_seconds(path, False))
                off.append(compile_seconds(path, True))
            m_on, m_off = statistics.median(on), statistics.median(off)
            print(f"{label:<12}{n:>6}{min(on):>8.3f}s ({m_on:.3f}s){min(off):>8.3f}s ({m_off:.3f}s)"
                  f"{min(on) - min(off):>7.3f}s ({m_on - m_off:+.3f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
