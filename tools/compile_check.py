#!/usr/bin/env python3
"""Compile one tests/compile_fail/*.cpp file and check the expectation on its first line.

The first line of the file is one of:

    // EXPECT: error "sanenet E2 "      must not compile; the FIRST output line containing
                                        'error:' must contain the quoted text
    // EXPECT: warning "sanenet L4.1"   must compile; a 'warning:' line must contain the text;
                                        compiling again with -Werror=deprecated-declarations
                                        must fail with an 'error:' line containing the text
    // EXPECT: clean                    must compile, and no warning may mention sanenet

Exit status: 0 when the expectation holds, 1 when it does not, 2 when the check itself
could not run (bad directive, compiler missing). The compiler, flags and include directories
come from CMake (tests/CMakeLists.txt); every command run is printed.

    compile_check.py --cxx g++ --isystem include --flag=-std=c++20 --flag=-fsyntax-only FILE
"""

import argparse
import os
import re
import shlex
import subprocess
import sys

DIRECTIVE = re.compile(r'^\s*//\s*EXPECT:\s*(?:(error|warning)\s+"([^"]+)"|(clean))\s*$')
SHOWN_LINES = 15


class HarnessError(Exception):
    """The check could not be carried out; not a verdict on the file."""


def parse_directive(path):
    try:
        with open(path, encoding="utf-8") as f:
            first = f.readline().rstrip("\r\n")
    except OSError as e:
        raise HarnessError(f"cannot read {path}: {e}")
    m = DIRECTIVE.match(first)
    if not m:
        raise HarnessError(
            f"{path}:1: the first line must be '// EXPECT: error \"...\"', "
            f"'// EXPECT: warning \"...\"' or '// EXPECT: clean', not: {first!r}")
    if m.group(3):
        return "clean", None
    return m.group(1), m.group(2)


def compile_file(cmd):
    print("$ " + shlex.join(cmd), flush=True)
    env = dict(os.environ, LC_ALL="C", LANG="C")  # English diagnostics, whatever the locale
    env.pop("GCC_COLORS", None)
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    except OSError as e:
        raise HarnessError(f"cannot run {cmd[0]}: {e}")
    out = proc.stdout.decode("utf-8", errors="replace")
    print(f"  -> exit status {proc.returncode}, {len(out.splitlines())} output lines", flush=True)
    return proc.returncode, out.splitlines()


def after(line, marker):
    """The diagnostic text after the marker, so that a path containing 'sanenet' never matches."""
    return line[line.find(marker) + len(marker):]


def show(lines):
    head = lines[:SHOWN_LINES]
    if not head:
        return "  (no compiler output)"
    text = "\n".join("  | " + line for line in head)
    if len(lines) > SHOWN_LINES:
        text += f"\n  | ... ({len(lines) - SHOWN_LINES} more lines)"
    return text


def check_error(cmd, text):
    rc, lines = compile_file(cmd)
    if rc == 0:
        return f"expected a compile error containing {text!r}, but the file compiled", lines
    errors = [l for l in lines if "error:" in l]
    if not errors:
        return f"the compiler failed (status {rc}) without any 'error:' line", lines
    if text not in after(errors[0], "error:"):
        return f"the first 'error:' line does not contain {text!r}:\n  {errors[0]}", lines
    print(f"first error line: {errors[0]}")
    return None, lines


def check_warning(cmd, text):
    rc, lines = compile_file(cmd)
    if rc != 0:
        return f"expected a warning containing {text!r}, but the file did not compile", lines
    hits = [l for l in lines if "warning:" in l and text in after(l, "warning:")]
    if not hits:
        return f"no 'warning:' line contains {text!r}", lines
    print(f"warning line: {hits[0]}")
    rc, lines = compile_file(cmd[:-1] + ["-Werror=deprecated-declarations", cmd[-1]])
    if rc == 0:
        return (f"the warning {text!r} is not a deprecation: the file still compiles "
                f"with -Werror=deprecated-declarations"), lines
    if not any("error:" in l and text in after(l, "error:") for l in lines):
        return (f"with -Werror=deprecated-declarations the file fails, but no 'error:' line "
                f"contains {text!r}"), lines
    return None, lines


def check_clean(cmd):
    rc, lines = compile_file(cmd)
    if rc != 0:
        return "expected a clean compile, but the file did not compile", lines
    hits = [l for l in lines if "warning:" in l and "sanenet" in after(l, "warning:")]
    if hits:
        return f"expected no sanenet warning, got:\n  {hits[0]}", lines
    return None, lines


def add_compiler_arguments(ap):
    """The options that say how to compile; tools/test_compile_messages.py takes the same."""
    ap.add_argument("--cxx", required=True, help="the C++ compiler (the one the build uses)")
    ap.add_argument("--isystem", action="append", default=[], metavar="DIR",
                    help="include directory passed with -isystem (repeatable)")
    ap.add_argument("--flag", action="append", default=[], metavar="FLAG",
                    help="compiler flag, written --flag=-std=c++20 (repeatable)")


def compiler_command(args, path):
    """The command that compiles one file; the file comes last (check_warning relies on it)."""
    cmd = [args.cxx] + args.flag
    for d in args.isystem:
        cmd += ["-isystem", d]
    return cmd + [path]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_compiler_arguments(ap)
    ap.add_argument("file")
    args = ap.parse_args(argv)

    try:
        kind, text = parse_directive(args.file)
        cmd = compiler_command(args, args.file)
        print(f"expectation: {kind}" + (f" {text!r}" if text else ""))
        if kind == "error":
            problem, lines = check_error(cmd, text)
        elif kind == "warning":
            problem, lines = check_warning(cmd, text)
        else:
            problem, lines = check_clean(cmd)
    except HarnessError as e:
        print(f"compile_check: cannot check: {e}", file=sys.stderr)
        return 2

    name = os.path.basename(args.file)
    if problem:
        print(f"FAIL {name}: {problem}\nfirst {SHOWN_LINES} lines of the compiler output:\n{show(lines)}")
        return 1
    print(f"OK {name}: {kind}" + (f" {text!r}" if text else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
