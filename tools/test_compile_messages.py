#!/usr/bin/env python3
"""Check that a compile-time lint names the offending layer right next to its message.

Compiles a few tests/compile_fail/ files with the harness's compiler command (the same
options as tools/compile_check.py, from tests/CMakeLists.txt) and checks for each that:

  - the first 'error:' line carries the file's EXPECT text (the harness's own check);
  - the layer is named next to it, by index (Input is 0, sn::Allow items are not counted)
    and type: with g++ in the first 'note:' after the error,
        note: 'sanenet::detail::layer_ok<2, sanenet::Dense<0, sanenet::He> >' evaluates to false
    with clang in the error line itself (static assertion failed due to requirement '...');
  - the error is traced to the user's line, the one holding `Net net;` or
    `static_assert(sn::valid<Net>);`: g++ prints FILE:LINE:COL:   required from here before
    the error, clang FILE:LINE:COL: note: ... requested here after it.

It also checks that a broken network gets one error (the first broken rule) and no
follow-up errors or warnings, and prints how many output lines precede the first 'error:'
line: what a user reads first.

    test_compile_messages.py --cxx g++ --isystem include --flag=-std=c++20 --flag=-fsyntax-only

Exit status: 0 when every check holds, 1 when one does not, 2 when the check could not run.
"""

import argparse
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compile_check  # noqa: E402

CASE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "compile_fail")

# file, and the layer its first error must name: layer_ok<index, type as the compiler prints it>.
CASES = [
    ("E2_dense_units.cpp", "layer_ok<2, sanenet::Dense<0, sanenet::He>"),
    ("X1_missing_nonlinearity_2.cpp", "layer_ok<1, sanenet::Dense<256, sanenet::He>"),
    ("L7_1_bounded_regression_output_2.cpp", "layer_ok<5, sanenet::Sigmoid>"),
]

# Files whose mistake used to trigger follow-up errors: only the first broken rule may report.
ONE_ERROR = ["E0_task_first.cpp", "E9_two_activations.cpp", "E12_unknown_waiver.cpp", "E2_dense_units.cpp"]

# The ABI namespace (core/config.hpp) is in every name the compiler prints; the checks read past it.
ABI = re.compile(r"\babi_v\w+?::")


def without_abi(line):
    return ABI.sub("", line)


INSTANTIATION = re.compile(r"^\s*(?:Net\s+net\b|static_assert\s*\(\s*sn::valid<)")


def instantiation_line(path):
    """The 1-based line of the file where the network is instantiated."""
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if INSTANTIATION.match(line):
                return number
    raise compile_check.HarnessError(f"{path}: no line with `Net net;` or `static_assert(sn::valid<Net>)`")


def check_case(args, path, layer):
    """Compile one file; return (problems, lines before the first error, compiler style)."""
    kind, text = compile_check.parse_directive(path)
    if kind != "error":
        raise compile_check.HarnessError(f"{path}: expected an error case, the directive says {kind}")
    problem, lines = compile_check.check_error(compile_check.compiler_command(args, path), text)
    if problem:
        return [problem], None, None
    # The same first-error criterion as compile_check.check_error.
    first = next(i for i, l in enumerate(lines) if "error:" in l)
    next_error = next((i for i in range(first + 1, len(lines)) if "error:" in lines[i]), len(lines))
    clang = "due to requirement" in lines[first]
    problems = []

    if clang:
        if layer not in without_abi(lines[first]):
            problems.append(f"the first error line does not name {layer!r}:\n  {lines[first]}")
        else:
            print(f"layer named in the error line itself: {layer}")
    else:
        note = next((i for i in range(first + 1, next_error) if "note:" in lines[i]), None)
        if note is None:
            problems.append("no 'note:' line follows the first error")
        elif layer not in without_abi(lines[note]) or "evaluates to false" not in lines[note]:
            problems.append(f"the first note after the error does not name {layer!r}:\n  {lines[note]}")
        else:
            print(f"layer note, {note - first} line(s) after the error: {lines[note].strip()}")

    want = instantiation_line(path)
    if clang:
        site = re.compile(re.escape(path) + r":(\d+):\d+: note: .* requested here$")
        context = lines[first + 1:next_error]
    else:
        site = re.compile(re.escape(path) + r":(\d+):\d+:\s+required from here$")
        context = lines[:first]
    found = [int(m.group(1)) for m in map(site.match, context) if m]
    if want not in found:
        where = ", ".join(map(str, found)) or "nowhere"
        problems.append(f"no instantiation line points at {os.path.basename(path)}:{want} "
                        f"(lines found in that file: {where})")
    else:
        print(f"instantiation traced to {os.path.basename(path)}:{want}")
    return problems, first, "clang" if clang else "gcc"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    compile_check.add_compiler_arguments(ap)
    ap.add_argument("--dir", default=CASE_DIR, help="where the compile_fail files are (default: %(default)s)")
    args = ap.parse_args(argv)

    failed = 0
    summary = []
    try:
        for name, layer in CASES:
            path = os.path.join(os.path.abspath(args.dir), name)
            print(f"== {name}: expecting {layer!r}", flush=True)
            problems, before, style = check_case(args, path, layer)
            for p in problems:
                print(f"FAIL {name}: {p}")
            failed += bool(problems)
            verdict = "FAIL" if problems else "OK"
            if before is not None:
                print(f"{verdict} {name}: {before} output line(s) before the first error ({style})")
            summary.append((verdict, name, before))
        for name in ONE_ERROR:
            path = os.path.join(os.path.abspath(args.dir), name)
            _, lines = compile_check.compile_file(compile_check.compiler_command(args, path))
            errors = [l for l in lines if "error:" in l]
            warnings = [l for l in lines if "warning:" in l and "sanenet" in l]
            ok = len(errors) == 1 and not warnings
            print(f"{'OK' if ok else 'FAIL'} {name}: {len(errors)} error line(s), {len(warnings)} sanenet warning(s)")
            failed += not ok
    except compile_check.HarnessError as e:
        print(f"test_compile_messages: cannot check: {e}", file=sys.stderr)
        return 2

    print("\nlines before the first error:")
    for verdict, name, before in summary:
        print(f"  {verdict:4} {'-' if before is None else before:>3}  {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
