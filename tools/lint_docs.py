#!/usr/bin/env python3
"""Regenerate the compiler-output and program-output blocks in README.md and docs/*.md.

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

A program-output block names an example and the arguments to run it with, and holds what the
program prints on stdout:

    <!-- program-output: doctor --quick -->
    ```text
    ...
    ```
    <!-- /program-output -->

The tool builds examples/<name>.cpp itself, into a temporary directory, as a user would:
`<cxx> -std=c++20 -O2 -march=native -I <repo>/include <example> -o <exe> -lz` (plus the -D,
-f and -isystem options given to this tool, -fsyntax-only excepted), runs it from that
directory with the arguments (LC_ALL=C), and fails when it exits with a non-zero status. Only
deterministic programs belong in such a block: fixed seeds, no timings, output independent of
the thread count. Floating-point results still depend on the SIMD width the kernels were
built for (AVX-512 and AVX2 sum in different orders), so a program's block matches when its
text is identical and each number is within NUMBER_TOLERANCE of the one on disk; a block
that matches is left as it is, so machines of another kind do not rewrite it.

    lint_docs.py              rewrite the blocks that changed
    lint_docs.py --check      change nothing; exit 1 naming every stale block (CI)
    lint_docs.py --cxx g++ --isystem include --flag=-std=c++20 --flag=-fsyntax-only [FILE.md ...]
    lint_docs.py --only compiler-output    skip the program-output blocks (or the reverse)

Without options the compiler command is `g++ -std=c++20 -fsyntax-only -isystem <repo>/include`;
ctest passes the harness's own (tests/CMakeLists.txt). The blocks show one compiler's output
(g++ 12 on Debian 12); another compiler or version prints other text, so check with that one.
Exit status: 0 up to date (or rewritten), 1 stale (--check), 2 the check could not run
(malformed block, missing file, compiler missing, output without the expected diagnostic, an
example that does not build or exits with a non-zero status).
"""

import argparse
import concurrent.futures
import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compile_check  # noqa: E402

ROOT = os.path.dirname(HERE)
DEFAULT_DOCS = ["README.md", os.path.join("docs", "lints.md"), os.path.join("docs", "diagnostics.md"),
                os.path.join("docs", "csv.md")]
DEFAULT_FLAGS = ["-std=c++20", "-fsyntax-only"]
KINDS = ("compiler-output", "program-output")
# How a program-output block's example is built and run.
PROGRAM_FLAGS = ["-std=c++20", "-O2", "-march=native"]
PROGRAM_LIBS = ["-lz"]
PROGRAM_TIMEOUT = 600  # seconds, for one run

OPEN = re.compile(r"^<!--\s*(compiler-output|program-output):\s*(\S.*?)\s*-->\s*$")
CLOSE = re.compile(r"^<!--\s*/(compiler-output|program-output)\s*-->\s*$")
EXAMPLE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
EXCERPT = re.compile(r"^\s*(\d+\s*)?\|")  # '  13 |     Net net;' and '      |         ^~~'
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
NUMBER_TOLERANCE = 0.25  # relative, for the numbers of a program-output block (not those of IDs such as L6.1)


class DocsError(Exception):
    """A block or a file is malformed, or a compile did not give what its file expects."""


def find_blocks(path, lines):
    """[(index of the opening marker, index of the closing marker, (kind, spec))] of one document.

    kind is "compiler-output" (spec: a file of tests/compile_fail/) or "program-output" (spec:
    an example's name and its arguments)."""
    blocks = []
    i = 0
    while i < len(lines):
        m = OPEN.match(lines[i])
        if not m:
            c = CLOSE.match(lines[i])
            if c:
                raise DocsError(f"{path}:{i + 1}: '<!-- /{c.group(1)} -->' without an opening marker")
            i += 1
            continue
        kind, spec = m.group(1), " ".join(m.group(2).split())
        end = next((j for j in range(i + 1, len(lines)) if CLOSE.match(lines[j]) or OPEN.match(lines[j])), None)
        if end is None or not CLOSE.match(lines[end]) or CLOSE.match(lines[end]).group(1) != kind:
            raise DocsError(f"{path}:{i + 1}: the {kind} block opened here has no '<!-- /{kind} -->'")
        if kind == "program-output" and not EXAMPLE_NAME.match(spec.split()[0]):
            raise DocsError(f"{path}:{i + 1}: program-output names {spec.split()[0]!r}; expected the name of an "
                            f"example (examples/<name>.cpp) followed by its arguments")
        blocks.append((i, end, (kind, spec)))
        i = end + 1
    return blocks


def excerpt_end(lines, i):
    """The index after line i and the source-excerpt lines that follow it."""
    j = i + 1
    while j < len(lines) and EXCERPT.match(lines[j]):
        j += 1
    return j


def same_program_output(old, new):
    """True when two program-output blocks hold the same text and numbers within NUMBER_TOLERANCE."""
    if len(old) != len(new):
        return False
    for a, b in zip(old, new):
        if NUMBER.split(a) != NUMBER.split(b):
            return False
        for x, y in zip(map(float, NUMBER.findall(a)), map(float, NUMBER.findall(b))):
            if abs(x - y) > NUMBER_TOLERANCE * max(abs(x), abs(y)):
                return False
    return True


def relative(line, prefixes):
    for p in prefixes:
        line = line.replace(p, "")
    return line


def baseline_isa(args):
    """args without -march/-mtune/-m<isa> flags: the compiler output in the docs is that of a
    build for the baseline instruction set, the same on every machine (the ABI namespace in
    every printed name says which instruction set the kernels have: abi_v0_1_sse2 there)."""
    out = argparse.Namespace(**vars(args))
    out.flag = [f for f in args.flag if not re.match(r"-m(arch|tune|avx|fma|sse|bmi)", f)]
    return out


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
    rc, lines = compile_check.compile_file(compile_check.compiler_command(baseline_isa(args), path))
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


def program_command(args, source, exe):
    """How a program-output block's example is built: the flags a user would give, plus the
    include directories and -D/-f options this tool was given (-fsyntax-only left out)."""
    include = os.path.join(ROOT, "include")
    cmd = [args.cxx] + PROGRAM_FLAGS + ["-I", include]
    for d in args.isystem:
        if os.path.realpath(d) != os.path.realpath(include):
            cmd += ["-isystem", d]
    cmd += [f for f in args.flag if f.startswith(("-D", "-f")) and f != "-fsyntax-only"]
    return cmd + [source, "-o", exe] + PROGRAM_LIBS


class Programs:
    """Builds each example once, in one temporary directory, and runs it."""

    def __init__(self, args, tmp):
        self.args, self.tmp = args, tmp
        self.lock = threading.Lock()
        self.builds = {}  # name -> (threading.Lock, [exe path or DocsError])

    def build(self, name):
        with self.lock:
            entry = self.builds.setdefault(name, (threading.Lock(), []))
        with entry[0]:
            if not entry[1]:
                entry[1].append(self._build(name))
        if isinstance(entry[1][0], DocsError):
            raise entry[1][0]
        return entry[1][0]

    def _build(self, name):
        rel = os.path.join("examples", name + ".cpp")
        source = os.path.join(ROOT, rel)
        if not os.path.isfile(source):
            return DocsError(f"{rel}: no such example")
        exe = os.path.join(self.tmp, name)
        cmd = program_command(self.args, source, exe)
        print("$ " + shlex.join(cmd), flush=True)
        try:
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=c_locale())
        except OSError as e:
            return DocsError(f"cannot run {cmd[0]}: {e}")
        if proc.returncode != 0:
            out = proc.stdout.decode("utf-8", errors="replace").splitlines()
            return DocsError(f"{rel} does not build (exit status {proc.returncode}):\n" +
                             "\n".join("  | " + l for l in out[:30]))
        return exe

    def render(self, spec):
        """The block body (fence included): what `<name> <arguments>` prints on stdout."""
        name, *arguments = spec.split()
        exe = self.build(name)
        cmd = [exe] + arguments
        print("$ " + shlex.join(["examples/" + name] + arguments), flush=True)
        try:
            proc = subprocess.run(cmd, cwd=self.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=c_locale(),
                                  timeout=PROGRAM_TIMEOUT)
        except OSError as e:
            raise DocsError(f"cannot run {name}: {e}")
        except subprocess.TimeoutExpired:
            raise DocsError(f"{spec}: ran longer than {PROGRAM_TIMEOUT} s")
        out = proc.stdout.decode("utf-8", errors="replace")
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", errors="replace").splitlines()
            raise DocsError(f"{spec}: exited with status {proc.returncode}; stderr:\n" +
                            "\n".join("  | " + l for l in err[-20:]))
        lines = out.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if any(l.lstrip().startswith("```") for l in lines):
            raise DocsError(f"{spec}: the output holds a ``` line, which would end the Markdown block")
        prefixes = sorted({os.path.join(p, "") for p in (ROOT, os.path.realpath(ROOT), self.tmp)}, key=len, reverse=True)
        return ["```text"] + [relative(l.rstrip("\r"), prefixes) for l in lines] + ["```"]


def c_locale():
    env = dict(os.environ, LC_ALL="C", LANG="C")  # English diagnostics, "." decimal points
    env.pop("GCC_COLORS", None)
    return env


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    compile_check.add_compiler_arguments(ap)
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block is stale")
    ap.add_argument("--jobs", type=int, default=2, help="compiles run in parallel (default: %(default)s)")
    ap.add_argument("--only", choices=KINDS, help="process only the blocks of this kind")
    ap.add_argument("docs", nargs="*", metavar="FILE.md",
                    help="documents to process, relative to the repository "
                         "(default: README.md docs/lints.md docs/diagnostics.md docs/csv.md)")
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
            blocks = [b for b in find_blocks(rel, lines) if args.only in (None, b[2][0])]
            docs[rel] = (lines, blocks)
        wanted = sorted({b[2] for _, blocks in docs.values() for b in blocks})
        with tempfile.TemporaryDirectory(prefix="lint_docs.") as tmp, \
                concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            programs = Programs(args, tmp)
            futures = {key: pool.submit(render, args, key[1]) if key[0] == "compiler-output"
                       else pool.submit(programs.render, key[1]) for key in wanted}
            rendered = {key: f.result() for key, f in futures.items()}
    except (DocsError, compile_check.HarnessError) as e:
        print(f"lint_docs: cannot check: {e}", file=sys.stderr)
        return 2

    stale, report = 0, []
    for rel, (lines, blocks) in docs.items():
        out = []
        pos = 0
        for start, end, key in blocks:
            kind, spec = key
            new = rendered[key]
            old = lines[start + 1:end]
            if kind == "program-output" and same_program_output(old, new):
                new = old
            if old != new:
                stale += 1
                report.append(f"{rel}:{start + 1}: the {kind} block for {spec} is stale")
                now = "compiler now" if kind == "compiler-output" else "program now"
                diff = list(difflib.unified_diff(old, new, "on disk", now, lineterm="", n=1))
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
    what = f"{args.only} blocks" if args.only else "generated blocks (compiler and program output)"
    if args.check and stale:
        print("\n".join(report))
        print(f"lint_docs: {stale} of {count} {what} are stale; "
              f"run `python3 tools/lint_docs.py` from the repository root and commit the result")
        return 1
    if args.check or not stale:
        print(f"lint_docs: the {count} {what} of {', '.join(docs)} are up to date")
    else:
        print(f"lint_docs: regenerated {stale} of the {count} {what} of {', '.join(docs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
