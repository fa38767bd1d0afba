#!/usr/bin/env python3
"""Extract the C++ examples from README.md, and compile (and run) one of them as a user would.

A snippet is a ```cpp block whose first line is `// readme-example: <name>` (name: letters,
digits, '_' and '-'). Blocks with the same name are joined in README order into one file,
so a tour can be told in several blocks with prose between them; other ```cpp blocks are
left alone. A snippet that defines `int main(` is a complete program: it is linked and run;
any other snippet is only compiled (-c). A complete program's marker may state what its
output must show, so that the README's claims are checked, not only printed:
`// readme-example: <name> (expects: <label> >= <number>; <label> <= <number>)` requires the
last number printed after each label to satisfy the comparison. A complete program runs in
the work directory, or in the README's directory (the repository root, where a reader runs it
from, e.g. to read a file the repository ships) when its marker says
`// readme-example: <name> (runs from the repository root)`, before any `(expects: ...)`;
such a program must write no file.

    readme_snippets.py list                      the snippet names, one a line
    readme_snippets.py extract --out DIR         write DIR/<name>.cpp for every snippet
    readme_snippets.py check NAME --cxx g++ --include single_include --work DIR \\
        --flag=-std=c++20 --flag=-O2 --flag=-march=native --link=-lz

`check` re-reads the README every time, so an edit is tested without reconfiguring. It
fails when the snippet does not compile, when a complete program exits with a non-zero
status, when its output contains a `sanenet warning` line (the front page's examples must be
clean) or does not meet the marker's expectations. Exit status: 0 pass, 1 fail, 2 the check could not run (no such snippet,
malformed marker, compiler missing). Every command run is printed.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys
import time

FENCE = re.compile(r'^(\s*)(`{3,}|~{3,})\s*([\w+-]*)')
MARKER = re.compile(r'^\s*//\s*readme-example:\s*([^\s(]*)\s*(\(runs from the repository root\))?\s*'
                    r'(?:\(expects:\s*([^)]*)\))?\s*$')
EXPECTATION = re.compile(r'^\s*(.*?\S)\s*(>=|<=)\s*(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)\s*$')
MARKER_PREFIX = re.compile(r'^\s*//\s*readme-example\b')
NAME = re.compile(r'^[A-Za-z0-9_-]+$')
MAIN = re.compile(r'\bint\s+main\s*\(')
HERE = os.path.dirname(os.path.abspath(__file__))


class SnippetError(Exception):
    """The README or the command line is wrong; not a verdict on a snippet."""


def code_blocks(text, path):
    """(language, first line number, lines) of every fenced block."""
    blocks = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.group(1), m.group(2), m.group(3).lower()
        start = i + 1
        body = []
        i += 1
        while i < len(lines) and not re.match(r'^\s*' + re.escape(fence[0]) + '{' + str(len(fence)) + r',}\s*$', lines[i]):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        if i == len(lines):
            raise SnippetError(f"{path}:{start}: the {fence} block opened here is never closed")
        blocks.append((lang, start + 1, body))
        i += 1
    return blocks


def snippets(readme):
    """{name: (source text, [first line of each block], [(label, op, bound)], runs from the root)} in README order."""
    try:
        with open(readme, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise SnippetError(f"cannot read {readme}: {e}")
    found = {}
    for lang, line, body in code_blocks(text, readme):
        if lang not in ("cpp", "c++") or not body:
            continue
        m = MARKER.match(body[0])
        if not m:
            if MARKER_PREFIX.match(body[0]):
                raise SnippetError(f"{readme}:{line}: malformed marker {body[0].strip()!r}: "
                                   "expected '// readme-example: <name>'")
            continue
        name = m.group(1)
        if not NAME.match(name):
            raise SnippetError(f"{readme}:{line}: snippet name {name!r}: expected letters, digits, '_' or '-'")
        expects = []
        for clause in filter(None, (c.strip() for c in (m.group(3) or "").split(";"))):
            e = EXPECTATION.match(clause)
            if not e:
                raise SnippetError(f"{readme}:{line}: expectation {clause!r}: expected '<label> >= <number>' or '<label> <= <number>'")
            expects.append((e.group(1), e.group(2), float(e.group(3))))
        source, starts, known, from_root = found.get(name, ("", [], [], False))
        # A #line per block, so compiler messages point into README.md.
        source += f'#line {line} "{os.path.abspath(readme)}"\n' + "\n".join(body) + "\n"
        found[name] = (source, starts + [line], known + expects, from_root or m.group(2) is not None)
    return found


def unmet(expects, out):
    """The expectations that the program's output does not meet, as messages."""
    failures = []
    for label, op, bound in expects:
        values = re.findall(re.escape(label) + r"\s*[:=]?\s*(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)", out)
        if not values:
            failures.append(f"the output prints no number after '{label}'")
            continue
        value = float(values[-1])
        if not (value >= bound if op == ">=" else value <= bound):
            failures.append(f"'{label}' is {value:g}, expected {op} {bound:g}")
    return failures


def run(cmd, cwd=None, timeout=None):
    print("$ " + shlex.join(cmd), flush=True)
    env = dict(os.environ, LC_ALL="C", LANG="C")
    env.pop("GCC_COLORS", None)
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=timeout)
    except OSError as e:
        raise SnippetError(f"cannot run {cmd[0]}: {e}")
    except subprocess.TimeoutExpired as e:
        out = (e.output or b"").decode("utf-8", errors="replace")
        return None, out, time.monotonic() - start
    return proc.returncode, proc.stdout.decode("utf-8", errors="replace"), time.monotonic() - start


def check(args):
    found = snippets(args.readme)
    if args.name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise SnippetError(f"{args.readme}: no snippet '{args.name}' (known: {known})")
    source, starts, expects, from_root = found[args.name]
    os.makedirs(args.work, exist_ok=True)
    path = os.path.join(args.work, args.name + ".cpp")
    with open(path, "w", encoding="utf-8") as f:
        f.write(source)
    complete = MAIN.search(source) is not None
    where = ", ".join(f"{args.readme}:{s}" for s in starts)
    print(f"snippet '{args.name}' ({'complete program' if complete else 'compile only'}) from {where}", flush=True)

    cmd = [args.cxx] + args.flag + ["-I", args.include]
    for d in args.isystem:
        cmd += ["-isystem", d]
    if complete:
        exe = os.path.join(args.work, args.name)
        cmd += [path, "-o", exe] + args.link
    else:
        cmd += ["-c", path, "-o", os.path.join(args.work, args.name + ".o")]
    status, out, seconds = run(cmd)
    sys.stdout.write(out)
    if status != 0:
        print(f"FAIL: snippet '{args.name}' does not compile against {args.include} (exit status {status})")
        return 1
    print(f"compiled in {seconds:.1f} s", flush=True)
    if not complete:
        return 0

    cwd = os.path.dirname(os.path.abspath(args.readme)) if from_root else args.work
    status, out, seconds = run([exe], cwd=cwd, timeout=args.timeout)
    sys.stdout.write(out)
    if status is None:
        print(f"FAIL: snippet '{args.name}' ran longer than {args.timeout} s (README examples must be quick)")
        return 1
    if status != 0:
        print(f"FAIL: snippet '{args.name}' exited with status {status}")
        return 1
    warnings = [l for l in out.splitlines() if "sanenet warning" in l]
    if warnings:
        print(f"FAIL: snippet '{args.name}' makes sanenet warn ({len(warnings)} lines, first: {warnings[0].strip()})")
        return 1
    failures = unmet(expects, out)
    if failures:
        print(f"FAIL: snippet '{args.name}': " + "; ".join(failures))
        return 1
    print(f"ran in {seconds:.1f} s" + (f"; met {len(expects)} expectation(s)" if expects else ""), flush=True)
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--readme", default=os.path.join(os.path.dirname(HERE), "README.md"),
                    help="the Markdown file (default: README.md next to tools/)")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="print the snippet names")
    ex = sub.add_parser("extract", help="write every snippet to DIR/<name>.cpp")
    ex.add_argument("--out", required=True, metavar="DIR")
    ck = sub.add_parser("check", help="compile one snippet (and run it when it has a main)")
    ck.add_argument("name")
    ck.add_argument("--cxx", required=True, help="the C++ compiler")
    ck.add_argument("--include", required=True, metavar="DIR", help="sanenet's include directory, passed with -I")
    ck.add_argument("--isystem", action="append", default=[], metavar="DIR",
                    help="a dependency's include directory (repeatable)")
    ck.add_argument("--flag", action="append", default=[], metavar="FLAG",
                    help="compiler flag, written --flag=-O2 (repeatable)")
    ck.add_argument("--link", action="append", default=[], metavar="FLAG",
                    help="linker argument after the source, written --link=-lz (repeatable)")
    ck.add_argument("--work", required=True, metavar="DIR", help="where the source, binary and run go")
    ck.add_argument("--timeout", type=float, default=120.0, help="seconds a complete program may run (default 120)")
    args = ap.parse_args(argv)
    try:
        if args.command == "list":
            for name in snippets(args.readme):
                print(name)
            return 0
        if args.command == "extract":
            os.makedirs(args.out, exist_ok=True)
            for name, (source, _, _, _) in snippets(args.readme).items():
                path = os.path.join(args.out, name + ".cpp")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(source)
                print(path)
            return 0
        return check(args)
    except SnippetError as e:
        print(f"readme_snippets: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
