#!/usr/bin/env python3
"""Says which SIMD architecture builds of the tests ran, from CTest's JUnit output.

    tools/arch_report.py NAME=RESULTS.xml [NAME=RESULTS.xml ...]

NAME labels a run (the compiler), RESULTS.xml is what `ctest --output-junit` wrote. The tests
named arch.<arch>.<test> (tests/CMakeLists.txt) are grouped by architecture; a build that the
CPU cannot run is skipped by tests/arch_gate.cpp, whose message says what the CPU lacks. Prints
one line per run and exits with 1 if an architecture test failed or no architecture ran at all.
"""
import re
import sys
import xml.etree.ElementTree as ET

ORDER = ["sse2", "avx2", "avx512"]


def summarize(path):
    """{arch: {"passed": [...], "skipped": [...], "failed": [...], "reason": str}}"""
    archs = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        m = re.fullmatch(r"arch\.([a-z0-9]+)\.(\w+)", case.get("name", ""))
        if not m:
            continue
        arch, test = m.groups()
        entry = archs.setdefault(arch, {"passed": [], "skipped": [], "failed": [], "reason": ""})
        status = case.get("status")
        out = case.findtext("system-out") or ""
        if status == "run":
            entry["passed"].append(test)
        elif status == "notrun" and "arch_gate: skipped:" in out:
            entry["skipped"].append(test)
            entry["reason"] = re.search(r"arch_gate: skipped: (.*)", out).group(1).strip()
        else:
            entry["failed"].append(test)
    return archs


def main(argv):
    if len(argv) < 2 or any("=" not in a for a in argv[1:]):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    status = 0
    for arg in argv[1:]:
        name, path = arg.split("=", 1)
        try:
            archs = summarize(path)
        except (OSError, ET.ParseError) as e:
            print(f"architectures ({name}): cannot read {path}: {e}")
            status = 1
            continue
        parts = []
        for arch in sorted(archs, key=lambda a: ORDER.index(a) if a in ORDER else len(ORDER)):
            e = archs[arch]
            if e["failed"]:
                parts.append(f"{arch} FAILED ({', '.join(e['failed'])})")
                status = 1
            elif e["passed"] and not e["skipped"]:
                parts.append(f"{arch} ran ({len(e['passed'])} tests passed)")
            elif e["skipped"] and not e["passed"]:
                parts.append(f"{arch} NOT RUN ({len(e['skipped'])} tests compiled, skipped: {e['reason']})")
            else:
                parts.append(f"{arch} partly run ({len(e['passed'])} passed, {len(e['skipped'])} skipped)")
        if not any(archs[a]["passed"] for a in archs):
            status = 1
            parts.append("no architecture build ran")
        print(f"architectures ({name}): " + "; ".join(parts))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
