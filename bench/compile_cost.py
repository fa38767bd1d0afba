#!/usr/bin/env python3
"""What including sanenet costs the compiler, as ratios to a TU that includes only xtensor
and xsimd, compiled by the same g++ on the same machine in the same run (interleaved).

    bench/compile_cost.py                      measure include/ of this checkout
    bench/compile_cost.py --root DIR           measure another checkout (a git worktree of an
                                               older commit, say), with its examples/
    bench/compile_cost.py --runs 5 --write     more runs; put the table into docs/benchmarks.md
                                               (between the compile-cost markers; bench/run.py
                                               keeps that part when it rewrites the file)

The TUs (g++ -std=c++20 -march=native, -c, no link), header-only and in the compiled mode
(-DSANENET_COMPILED_LIB, core/config.hpp):
  base      xtensor.hpp, xarray.hpp and xsimd.hpp, an empty main (-fsyntax-only and -O2)
  umbrella  #include <sanenet/sanenet.hpp> and an empty main, -fsyntax-only
  predict   a network declared and predict_one called, nothing else, -O2
  demo      examples/fashion_mnist.cpp, -O2, with the compiler's peak memory
  library   src/sanenet.cpp, the compiled mode's one TU, -O2 (built once per program)

CPU time (user + system) of the compiler, median of the runs; the targets are issue 12's.
Header-only, predict and demo are also compiled with -fsyntax-only: the difference to -O2 is
the time g++ spends generating the code those TUs call (the engine, the kernels, fit), which
a header-only TU pays however cheap the parsing gets; with the object's code size, it shows
the lowest ratio header-only can reach (the compiled mode generates that code once).
"""
import argparse
import shutil
import os
import platform
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN, END = "<!-- compile-cost:begin -->", "<!-- compile-cost:end -->"

BASE = """#include <xtensor/xtensor.hpp>
#include <xtensor/xarray.hpp>
#include <xsimd/xsimd.hpp>
int main() {}
"""
UMBRELLA = """#include <sanenet/sanenet.hpp>
int main() {}
"""
PREDICT = """#include <sanenet/sanenet.hpp>
namespace sn = sanenet;
using Net = sn::Network<sn::Regression, sn::Input<8>, sn::Dropout<0.9>, sn::Dense<256, sn::LeCun>, sn::ELU, sn::Dense<3>, sn::Identity>;
int main() {
    Net net;
    const float x[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    float y[3];
    net.predict_one(x, y);
    return y[0] > 1e9f;
}
"""


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def text_bytes(obj):
    """The size of the object's code (.text and friends), by binutils' size."""
    r = subprocess.run(["size", obj], stdout=subprocess.PIPE, text=True)
    lines = r.stdout.splitlines()
    return int(lines[1].split()[0]) if r.returncode == 0 and len(lines) > 1 else 0


def compile_once(cxx, source, include, opt, compiled):
    """(CPU seconds, peak KB, code bytes) of one compile of `source`, header-only or in the compiled mode."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "tu.o")
        timing = os.path.join(tmp, "time.txt")
        flags = ["-fsyntax-only"] if opt == "syntax" else ["-O2", "-c", "-o", out]
        cmd = ["/usr/bin/time", "-f", "%U %S %M", "-o", timing, cxx, "-std=c++20", "-march=native",
               "-I", include, *(["-DSANENET_COMPILED_LIB"] if compiled else []), *flags, source]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            sys.exit(f"compile_cost: {' '.join(cmd[6:])} failed:\n{r.stdout[-3000:]}")
        user, system, peak = open(timing).read().split()[-3:]
        return float(user) + float(system), int(peak), (text_bytes(out) if opt == "O2" else 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=ROOT, help="the checkout to measure (its include/ and examples/)")
    ap.add_argument("--cxx", default="g++")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--second-cxx", default="clang++-19" if shutil.which("clang++-19") else None,
                    help="another compiler for the umbrella's -fsyntax-only ratio (default: clang++-19 when installed)")
    ap.add_argument("--write", action="store_true", help="put the table into docs/benchmarks.md")
    args = ap.parse_args()
    include = os.path.join(args.root, "include")

    with tempfile.TemporaryDirectory() as tmp:
        def source(name, text):
            p = os.path.join(tmp, name + ".cpp")
            with open(p, "w") as f:
                f.write(text)
            return p
        demo = os.path.join(args.root, "examples", "fashion_mnist.cpp")
        library = os.path.join(args.root, "src", "sanenet.cpp")
        tus = [("base", source("base", BASE), "syntax", False), ("base", source("base", BASE), "O2", False),
               ("umbrella", source("umbrella", UMBRELLA), "syntax", False), ("predict", source("predict", PREDICT), "O2", False),
               ("predict", source("predict", PREDICT), "syntax", False), ("demo", demo, "O2", False), ("demo", demo, "syntax", False), ("umbrella", source("umbrella", UMBRELLA), "syntax", True),
               ("predict", source("predict", PREDICT), "O2", True), ("demo", demo, "O2", True)]
        if os.path.exists(library):
            tus.append(("library", library, "O2", True))
        tus = [(n, p, o, c, args.cxx) for n, p, o, c in tus]
        if args.second_cxx:  # the front end's share: the same umbrella, another compiler
            tus += [("base2", source("base", BASE), "syntax", False, args.second_cxx),
                    ("umbrella2", source("umbrella", UMBRELLA), "syntax", False, args.second_cxx)]
        times = {(n, o, c): [] for n, _, o, c, _ in tus}
        peaks = {(n, o, c): [] for n, _, o, c, _ in tus}
        code = {}
        for run in range(args.runs):
            for name, path, opt, compiled, cxx in tus:  # interleaved: each run compiles every TU once
                t, m, b = compile_once(cxx, path, include, opt, compiled)
                code[(name, opt, compiled)] = b
                times[(name, opt, compiled)].append(t)
                peaks[(name, opt, compiled)].append(m)
                mode = "compiled mode" if compiled else "header-only"
                print(f"run {run + 1}/{args.runs}: {os.path.basename(cxx)} {name} {opt} {mode}: {t:.2f} s, {m / 1024:.0f} MB",
                      file=sys.stderr)

    med = {k: statistics.median(v) for k, v in times.items()}
    peak = {k: max(v) / 1024 for k, v in peaks.items()}
    version = subprocess.run([args.cxx, "--version"], stdout=subprocess.PIPE, text=True).stdout.splitlines()[0]
    rev = subprocess.run(["git", "-C", args.root, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE, text=True).stdout.strip()
    syntax, o2 = med[("base", "syntax", False)], med[("base", "O2", False)]
    rows = [
        ("`#include <sanenet/sanenet.hpp>`, -fsyntax-only", "umbrella", "syntax", syntax, "<= 1.3x", "-"),
        ("predict-only TU, -O2", "predict", "O2", o2, "<= 1.3x", "-"),
        ("examples/fashion_mnist.cpp, -O2", "demo", "O2", o2, "<= 2.5x", "<= 1.5x"),
    ]
    lines = [BEGIN, "## Compile cost", "",
             f"`bench/compile_cost.py --runs {args.runs}` at {rev or 'this tree'}: {cpu_model()}, {version}, "
             f"`-std=c++20 -march=native`, CPU seconds of the compiler (median of {args.runs} interleaved runs). "
             f"The base TU includes only xtensor and xsimd: {syntax:.2f} s with -fsyntax-only, {o2:.2f} s at -O2. "
             "The compiled mode is `-DSANENET_COMPILED_LIB` (CMake: `sanenet::compiled`), whose library TU, "
             "src/sanenet.cpp, a program compiles once.", "",
             "| TU | header-only | ratio | target | compiled mode | ratio | target |",
             "|---|---:|---:|---|---:|---:|---|"]
    for label, name, opt, base, target, target_compiled in rows:
        h, c = med[(name, opt, False)], med[(name, opt, True)]
        lines.append(f"| {label} | {h:.2f} s | {h / base:.2f}x | {target} | {c:.2f} s | {c / base:.2f}x | {target_compiled} |")
    lines.append(f"| peak compiler memory, examples/fashion_mnist.cpp -O2 | {peak[('demo', 'O2', False)]:.0f} MB | | <= 300 MB "
                 f"| {peak[('demo', 'O2', True)]:.0f} MB | | <= 300 MB |")
    if ("library", "O2", True) in med:
        lines.append(f"| src/sanenet.cpp (the compiled mode's library, once per program), -O2 | | | | "
                     f"{med[('library', 'O2', True)]:.2f} s | {med[('library', 'O2', True)] / o2:.2f}x | |")
    lines += ["", "Where the header-only time goes: the same TUs with -fsyntax-only, and the difference to -O2, "
              "the time g++ spends generating the code the TU calls. A header-only TU pays that code generation "
              "however cheap parsing gets, so (base at -O2 + code generation) / base is the lowest ratio "
              "header-only can reach; the compiled mode generates that code once, in src/sanenet.cpp.", "",
              "| TU | -fsyntax-only | -O2 | code generation | code size | lowest header-only ratio |",
              "|---|---:|---:|---:|---:|---:|"]
    for label, name in (("predict-only TU", "predict"), ("examples/fashion_mnist.cpp", "demo")):
        s_, o_ = med[(name, "syntax", False)], med[(name, "O2", False)]
        lines.append(f"| {label} | {s_:.2f} s | {o_:.2f} s | {o_ - s_:.2f} s | {code[(name, 'O2', False)] / 1024:.0f} KB "
                     f"| {(o2 + o_ - s_) / o2:.2f}x |")
    if ("umbrella2", "syntax", False) in med:
        second = subprocess.run([args.second_cxx, "--version"], stdout=subprocess.PIPE, text=True).stdout.splitlines()[0]
        b2, u2 = med[("base2", "syntax", False)], med[("umbrella2", "syntax", False)]
        lines += ["", f"The same umbrella TU with {second}, header-only, -fsyntax-only: {u2:.2f} s against {b2:.2f} s for "
                  f"the base TU, {u2 / b2:.2f}x (g++: {med[('umbrella', 'syntax', False)] / syntax:.2f}x)."]
    lines += ["", END]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        path = os.path.join(ROOT, "docs", "benchmarks.md")
        old = open(path).read() if os.path.exists(path) else ""
        if BEGIN in old and END in old:
            new = old[:old.index(BEGIN)] + text.rstrip("\n") + old[old.index(END) + len(END):]
        else:
            new = old.rstrip("\n") + "\n\n" + text
        with open(path, "w") as f:
            f.write(new)
        print(f"compile_cost: wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
