#!/usr/bin/env python3
"""Regenerate the compiler-output blocks in docs/lints.md and README.md.

A block names a file of tests/compile_fail/ and holds what the compiler prints for it:

    <!-- compiler-output: tests/compile_fail/E2_dense_units.cpp -->
    ```text
    ...
    ```
    <!-- /compiler-output -->

The file is compiled exactly as the compile-fail harness compiles it (tools/compile_check.py:
the same command, the same options, LC_ALL=C). The block keeps the output from its first line
  - for a file that expects an error: up to and including the first 'note:' line after the
    first 'error:' line (the note names the offending layer); without such a note, up to the
    error line and its source excerpt;
  - for a file that expects a warning: up to and including the first 'warning:' line and its
    source excerpt (the '  13 |     Net net;' and caret lines).
The repository's absolute path is removed, so paths are relative to the repository. Long
lines are kept as the compiler prints them.

    lint_docs.py              rewrite the blocks that changed
    lint_docs.py --check      change nothing; exit 1 naming every stale block (CI)
    lint_docs.py --cxx g++ --isystem include --flag=-std=c++20 --flag=-fsyntax-only [FILE.md ...]

Without options the compiler command is `g++ -std=c++20 -fsyntax-only -isystem <repo>/include`;
ctest passes the harness's own (tests/CMakeLists.txt). The blocks show one compiler's output
(g++ 12 on Debian 12); another compiler or version prints other text, so check with that one.
Exit status: 0 up to date (or rewritten), 1 stale (--check), 2 the check could not run
(malformed block, missing file, compiler missing, output without the expected diagnostic).
"""

import argparse
import concurrent.futures
import difflib
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compile_check  # noqa: E402

ROOT = os.path.dirname(HERE)
DEFAULT_DOCS = ["README.md", os.path.join("docs", "lints.md")]
DEFAULT_FLAGS = ["-std=c++20", "-fsyntax-only"]

OPEN = re.compile(r"^<!--\s*compiler-output:\s*(\S+)\s*-->\s*$")
CLOSE = re.compile(r"^<!--\s*/compiler-output\s*-->\s*$")
EXCERPT = re.compile(r"^\s*(\d+\s*)?\|")  # '  13 |     Net net;' and '      |         ^~~'


class DocsError(Exception):
    """A block or a file is malformed, or a compile did not give what its file expects."""


def find_blocks(path, lines):
    """[(index of the opening marker, index of the closing marker, compiled file)] of one document."""
    blocks = []
    i = 0
    while i < len(lines):
        m = OPEN.match(lines[i])
        if not m:
            if CLOSE.match(lines[i]):
                raise DocsError(f"{path}:{i + 1}: '<!-- /compiler-output -->' without an opening marker")
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if CLOSE.match(lines[j]) or OPEN.match(lines[j])), None)
        if end is None or not CLOSE.match(lines[end]):
            raise DocsError(f"{path}:{i + 1}: the compiler-output block opened here has no '<!-- /compiler-output -->'")
        blocks.append((i, end, m.group(1)))
        i = end + 1
    return blocks


def excerpt_end(lines, i):
    """The index after line i and the source-excerpt lines that follow it."""
    j = i + 1
    while j < len(lines) and EXCERPT.match(lines[j]):
        j += 1
    return j


def relative(line, prefixes):
    for p in prefixes:
        line = line.replace(p, "")
    return line


def render(args, rel):
    """The block body (fence included) for one tests/compile_fail file."""
    path = os.path.join(ROOT, rel)
    if not os.path.isfile(path):
        raise DocsError(f"{rel}: no such file")
    try:
        kind, text = compile_check.parse_directive(path)
    except compile_check.HarnessError as e:
        raise DocsError(str(e))
    if kind == "clean":
        raise DocsError(f"{rel}: expects a clean compile, so there is no compiler output to show")
    rc, lines = compile_check.compile_file(compile_check.compiler_command(args, path))
    if kind == "error":
        first = next((i for i, l in enumerate(lines) if "error:" in l), None)
        if rc == 0 or first is None:
            raise DocsError(f"{rel}: expected a compile error, got exit status {rc} and no 'error:' line")
        note = next((i for i in range(first + 1, len(lines)) if "note:" in lines[i]), None)
        next_error = next((i for i in range(first + 1, len(lines)) if "error:" in lines[i]), len(lines))
        end = note + 1 if note is not None and note < next_error else excerpt_end(lines, first)
    else:
        first = next((i for i, l in enumerate(lines) if "warning:" in l), None)
        if rc != 0 or first is None:
            raise DocsError(f"{rel}: expected a warning, got exit status {rc} and "
                            f"{'a' if first is not None else 'no'} 'warning:' line")
        end = excerpt_end(lines, first)
    if text not in compile_check.after(lines[first], "error:" if kind == "error" else "warning:"):
        raise DocsError(f"{rel}: the first {kind} line does not contain {text!r}:\n  {lines[first]}")
    prefixes = sorted({os.path.join(p, "") for p in (ROOT, os.path.realpath(ROOT))}, key=len, reverse=True)
    return ["```text"] + [relative(l, prefixes) for l in lines[:end]] + ["```"]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    compile_check.add_compiler_arguments(ap)
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block is stale")
    ap.add_argument("--jobs", type=int, default=2, help="compiles run in parallel (default: %(default)s)")
    ap.add_argument("docs", nargs="*", metavar="FILE.md",
                    help="documents to process, relative to the repository (default: README.md docs/lints.md)")
    if not any(a == "--cxx" or a.startswith("--cxx=") for a in argv):
        argv = ["--cxx", "g++"] + list(argv)
    args = ap.parse_args(argv)
    if not args.isystem:
        args.isystem = [os.path.join(ROOT, "include")]
    if not args.flag:
        args.flag = list(DEFAULT_FLAGS)

    try:
        docs = {}
        for rel in args.docs or DEFAULT_DOCS:
            path = os.path.join(ROOT, rel)
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except OSError as e:
                raise DocsError(f"cannot read {rel}: {e}")
            lines = text.split("\n")
            docs[rel] = (lines, find_blocks(rel, lines))
        wanted = sorted({b[2] for _, blocks in docs.values() for b in blocks})
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = {rel: pool.submit(render, args, rel) for rel in wanted}
            rendered = {rel: f.result() for rel, f in futures.items()}
    except (DocsError, compile_check.HarnessError) as e:
        print(f"lint_docs: cannot check: {e}", file=sys.stderr)
        return 2

    stale, report = 0, []
    for rel, (lines, blocks) in docs.items():
        out = []
        pos = 0
        for start, end, source in blocks:
            new = rendered[source]
            old = lines[start + 1:end]
            if old != new:
                stale += 1
                report.append(f"{rel}:{start + 1}: the compiler-output block for {source} is stale")
                diff = list(difflib.unified_diff(old, new, "on disk", "compiler now", lineterm="", n=1))
                report.extend("    " + d for d in diff[:40])
                if len(diff) > 40:
                    report.append(f"    ... ({len(diff) - 40} more diff lines)")
            out += lines[pos:start + 1] + new
            pos = end
        out += lines[pos:]
        if out != lines and not args.check:
            with open(os.path.join(ROOT, rel), "w", encoding="utf-8") as f:
                f.write("\n".join(out))
            print(f"lint_docs: rewrote {rel}")

    count = sum(len(b) for _, b in docs.values())
    if args.check and stale:
        print("\n".join(report))
        print(f"lint_docs: {stale} of {count} compiler-output blocks are stale; "
              f"run `python3 tools/lint_docs.py` from the repository root and commit the result")
        return 1
    if args.check or not stale:
        print(f"lint_docs: the {count} compiler-output blocks of {', '.join(docs)} are up to date")
    else:
        print(f"lint_docs: regenerated {stale} of the {count} compiler-output blocks of {', '.join(docs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
