#!/usr/bin/env python3
"""The C++ sources follow .clang-format (ctest tools.format).

Every .hpp and .cpp under include/, src/, tests/ (but tests/compile_fail/, whose line numbers
the expected compiler messages cite), examples/ and bench/ is formatted by clang-format and
compared with the file; the check fails naming each file that differs.

    tools/check_format.py [--clang-format clang-format-19]     check
    tools/check_format.py --fix                                 reformat the files in place
"""
import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDERS = ["include", "src", "tests", "examples", "bench"]
SKIP = {os.path.join("tests", "compile_fail")}


def sources(root):
    for folder in FOLDERS:
        for d, dirs, files in os.walk(os.path.join(root, folder)):
            dirs[:] = sorted(x for x in dirs if os.path.relpath(os.path.join(d, x), root) not in SKIP)
            for f in sorted(files):
                if f.endswith((".hpp", ".cpp")):
                    yield os.path.join(d, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clang-format", default="clang-format-19")
    ap.add_argument("--root", default=ROOT)
    ap.add_argument("--fix", action="store_true")
    args = ap.parse_args()
    style = "--style=file:" + os.path.join(args.root, ".clang-format")
    files, stale = list(sources(args.root)), []
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        r = subprocess.run([args.clang_format, style, "--assume-filename=" + path], input=text, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            print(f"check_format: {args.clang_format} failed on {path}: {r.stderr.strip()}")
            return 2
        if r.stdout != text:
            stale.append(os.path.relpath(path, args.root))
            if args.fix:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(r.stdout)
    if stale and not args.fix:
        print("check_format: not formatted as .clang-format says (run tools/check_format.py --fix):\n  " + "\n  ".join(stale))
        return 1
    print(f"check_format: {len(files)} files" + (f", {len(stale)} reformatted" if args.fix else " formatted"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
