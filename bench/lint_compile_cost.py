#!/usr/bin/env python3
"""Compile-time cost of sanenet's lint machinery.

Compiles (g++ -fsyntax-only) a translation unit that declares and constructs a network of 8
Dense layers (24 items), one of 100 items (33 Dense layers) and one of 100 Dense layers (300
items), with the lints on and with them compiled out by the test-only switch
SANENET_TESTING_DISABLE_LINTS, and prints the difference.

    bench/lint_compile_cost.py [--runs N]   CPU seconds, several interleaved runs each
    bench/lint_compile_cost.py --callgrind  instructions executed by the compiler proper
                                            (cc1plus under valgrind: about 5 minutes per
                                            compile, but the same count on every run)

On a shared machine the CPU times of one compile move by half a second from run to run,
more than the cost measured; the instruction counts do not move, and --callgrind converts
them to seconds at the rate of the fastest timed run of the same compile.
"""
import argparse
import os
import re
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


def command(path, disable):
    cmd = ["g++", "-std=c++20", "-fsyntax-only", "-isystem", os.path.join(ROOT, "include"), path]
    if disable:
        cmd.insert(1, "-DSANENET_TESTING_DISABLE_LINTS")
    return cmd


def compile_seconds(path, disable):
    """CPU time (user + system) of the compiler: steadier than wall time on a shared machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command(path, disable), check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def compile_instructions(path, disable, tmp):
    """Instructions executed by cc1plus (the driver's -### names its command line)."""
    listing = subprocess.run(command(path, disable) + ["-###"], check=True, stderr=subprocess.PIPE).stderr.decode()
    cc1 = next(line for line in listing.splitlines() if "cc1plus" in line)
    args = [a.strip('"') for a in cc1.split()]
    out = os.path.join(tmp, "callgrind.out")
    run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] + args,
                         check=True, stderr=subprocess.PIPE).stderr.decode()
    return int(re.search(r"Collected : (\d+)", run).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--callgrind", action="store_true", help="count instructions instead of timing")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases = {}
        for label, blocks in (("8 Dense", 7), ("100 items", 33), ("100 Dense", 99)):
            items = network(blocks)
            path = os.path.join(tmp, f"net_{blocks}.cpp")
            with open(path, "w") as f:
                f.write(source(items))
            cases[label] = (path, len(items))
        if args.callgrind:
            print("g++ -fsyntax-only, instructions of cc1plus (callgrind); seconds at the rate of the fastest of 3 timed runs")
            print(f"{'network':<12}{'items':>6}{'lints on':>16}{'lints off':>16}{'cost':>14}{'cost (s)':>10}")
            for label, (path, n) in cases.items():
                on, off = compile_instructions(path, False, tmp), compile_instructions(path, True, tmp)
                rate = off / min(compile_seconds(path, True) for _ in range(3))
                print(f"{label:<12}{n:>6}{on:>16,}{off:>16,}{on - off:>14,}{(on - off) / rate:>9.3f}s", flush=True)
            return 0
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
                  f"{min(on) - min(off):>7.3f}s ({m_on - m_off:+.3f}s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
