#!/usr/bin/env python3
"""Every public header compiles on its own (ctest tools.headers_alone).

For each include/sanenet/**/*.hpp, a translation unit holding only `#include <sanenet/...>` is
compiled with -fsyntax-only and the flags given, header-only and in the compiled mode
(-DSANENET_COMPILED_LIB, where the declarations must stand without the definitions); a header
that relies on something included before it fails here even though every test includes the
umbrella first.

    tools/check_headers.py --cxx g++ [--jobs 2] [--flag=-std=c++20 ...] [--isystem DIR ...]
"""
import argparse
import concurrent.futures
import os
import shlex
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


MODES = {"header-only": [], "compiled": ["-DSANENET_COMPILED_LIB"]}


def compile_alone(cxx, flags, header, mode):
    cmd = [cxx] + flags + MODES[mode] + ["-x", "c++", "-fsyntax-only", "-"]
    proc = subprocess.run(cmd, input=f"#include <{header}>\n".encode(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env=dict(os.environ, LC_ALL="C"))
    return header, mode, proc.returncode, proc.stdout.decode("utf-8", errors="replace"), cmd


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cxx", required=True)
    ap.add_argument("--root", default=ROOT)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--flag", action="append", default=[])
    ap.add_argument("--isystem", action="append", default=[])
    args = ap.parse_args()
    include = os.path.join(args.root, "include")
    # sanenet's own directory with -I, never -isystem (which would hide its warnings).
    system = [d for d in args.isystem if os.path.realpath(d) != os.path.realpath(include)]
    flags = args.flag + ["-I", include] + [f for d in system for f in ("-isystem", d)]
    headers = sorted(os.path.relpath(os.path.join(d, f), include)
                     for d, _, files in os.walk(os.path.join(include, "sanenet")) for f in files if f.endswith(".hpp"))
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        runs = [(h, m) for h in headers for m in MODES]
        for header, mode, rc, out, cmd in pool.map(lambda r: compile_alone(args.cxx, flags, *r), runs):
            if rc == 0:
                print(f"ok    {header} ({mode})")
                continue
            failed += 1
            print(f"FAIL  {header} ({mode}): does not compile on its own\n$ echo '#include <{header}>' | {shlex.join(cmd)}")
            print("\n".join(out.splitlines()[:12]))
    print(f"check_headers: {len(runs) - failed} of {len(runs)} compiles of {len(headers)} headers (header-only and "
          f"compiled mode) on their own")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
