#!/usr/bin/env python3
"""Check that every lint in the code is tested and documented, and that nothing else is.

The lint IDs in the code are collected from include/:
  - compile time: every SANENET_LINT_MESSAGE("<ID>", "<slug>", ...), with the tag named in
    its optional last argument;
  - run time: every lint_error("<ID>", ...), every call whose first two arguments are the ID
    and slug literals (such as make_diagnostic("L3.1", "non-finite-data", ...)), every
    SANENET_TAGGED(<Tag>, ...) or tagged<lint::<Tag>>(...) (the tag's ID), and every message literal "sanenet <ID> <slug>:"
    that is not a compile-time message;
  - the tag table of include/sanenet/lints/lint.hpp: every (Tag, bit, "<ID>", "<slug>") entry,
    as SANENET_DECLARE_LINT_TAG(...) or an X-macro row X(...).

It fails, with one line per problem, when
  (a) a compile-time ID has no tests/compile_fail file whose `// EXPECT:` line names it; an
      error or warning case has no clean twin <stem>_clean.cpp (`// EXPECT: clean`; a case
      that includes an example, like tour_*.cpp, has that example as its twin); a waivable ID
      (one with a tag) has no <case stem>_waived.cpp that compiles clean and names the tag;
      a file named after a lint (E2_..., L7_1_..., X1_...) expects another ID, or is a
      _clean/_waived twin without its case;
  (b) a run-time ID has no firing test, or a waivable one (an ID with a tag) no waiver test,
      in tests/unit/*.cpp or tests/integration/*.cpp. An assertion is a doctest CHECK...(...)
      or REQUIRE...(...) call, read whole (it may span lines); it "holds" the ID when the
      literal "<ID>" is in it. It is negative when the macro ends in _FALSE, _NE or _NOTHROW
      or the expression has a '!' (!x, !=) outside literals; otherwise positive. Then
        - firing test: a positive assertion holding "<ID>" (CHECK(h.fired("L1.2")),
          CHECK(severity(found, "L1.2") == "warning"), CHECK(lint_error_id(...) == "L1.4"));
          CHECK_FALSE(has(found, "L1.2")) alone is not one;
        - waiver test: one TEST_CASE (its text runs to the next TEST_CASE) that names the tag
          in a waiver, sn::allow<..., sn::lint::<Tag>, ...>() or
          sn::Allow<..., sn::lint::<Tag>, ...> (inside the TEST_CASE, not in a file-scope
          alias), and holds a positive assertion of "<ID>" (it fires) followed by a negative
          one that also comes after the tag's first mention (silent once waived). So: fire
          it, then waive it and check it is silent; a silent twin checked before the firing
          case does not count as the waiver's check.
  (c) an ID in the code has no `## <ID> <slug>` section in docs/lints.md (the slug must be the
      code's), or the code spells one ID with two slugs (messages and tag table included);
  (d) docs/lints.md has a section for an ID the code lacks, unless the ID is in its Planned
      table; or the Planned table lists an ID the code implements;
  (e) a tag of lint.hpp is neither implemented nor listed as planned in docs/lints.md; a
      compile-time lint has a tag but no code reads the waiver (`lint::<Tag>` or
      SANENET_UNLESS_WAIVED(<Tag>, outside lint.hpp); a message names a tag whose ID differs,
      or prints no waiver although its ID has a tag; two tags share a bit.
Files under tests/compile_fail/ named control_* state a wrong expectation on purpose and are
ignored.

    check_lints.py [--root REPO]

Exit status: 0 all good, 1 problems found (listed on stdout), 2 the check could not run.
"""

import argparse
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ID = r"(?:E\d+|L\d+\.\d+|X\d+)"

MESSAGE_CALL = re.compile(r"\bSANENET_LINT_MESSAGE\(\s*\"(" + ID + r")\"")
LINT_ERROR = re.compile(r"\blint_error\(\s*\"(" + ID + r")\"")
# A run-time finding built from its tag: SANENET_TAGGED(LargeBatch, ...), or the function the
# macro expands to, tagged<lint::LossAtInit>("LossAtInit", ...) (the doctor calls it directly).
TAGGED_CALL = re.compile(r"(?<!#define )\bSANENET_TAGGED\(\s*(\w+)\s*,"
                         r"|\btagged<\s*(?:(?:::)?\w+::)*lint::(\w+)\s*>\s*\(")
# A run-time finding built from ID and slug literals, e.g. make_diagnostic("L3.1", "non-finite-data", ...).
RUNTIME_CALL = re.compile(r"\b(?!SANENET_LINT_MESSAGE\b)\w+\(\s*\"(" + ID + r")\"\s*,\s*\"([a-z][a-z0-9-]*)\"")
DEFINE_LINE = re.compile(r"[ \t]*#[ \t]*define\b")  # a macro's definition is not a call
LITERAL = re.compile(r"\"sanenet (?:warning )?(" + ID + r") ([a-z0-9][a-z0-9-]*):")
TAG_DECL = re.compile(r"\b\w+\(\s*(\w+)\s*,\s*(\d+)\s*,\s*\"(" + ID + r")\"\s*,\s*\"([^\"]*)\"\s*\)")
DIRECTIVE = re.compile(r'^\s*//\s*EXPECT:\s*(?:(error|warning)\s+"([^"]+)"|(clean))\s*$')
EXPECT_ID = re.compile(r"\bsanenet\s+(" + ID + r")\b")
FILE_ID = re.compile(r"^(E\d+|L\d+_\d+|X\d+)_")
INCLUDES_EXAMPLE = re.compile(r'^\s*#\s*include\s+"((?:\.\./)*examples/[^"]+)"', re.M)
ASSERTION = re.compile(r"\b(?:CHECK|REQUIRE)\w*\s*\(")
RAW_PREFIX = re.compile(r"(?:^|(?<=[^\w]))(?:u8|[uUL])?R$")  # searched in the 4 characters before a '"'
TEST_CASE = re.compile(r"^[ \t]*TEST_CASE(?:_TEMPLATE|_FIXTURE)?\s*\(", re.M)
SECTION = re.compile(r"^##\s+(" + ID + r")(?=\s|$)(?:\s+(\S+))?")


class CheckError(Exception):
    """The check could not be carried out."""


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise CheckError(f"cannot read {path}: {e}")


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def call_arguments(text, start):
    """The top-level arguments of the call whose '(' is at text[start], as stripped strings."""
    args, cur, depth, i = [], [], 0, start
    while i < len(text):
        c = text[i]
        if c == '"':  # a string literal, copied whole: commas and parentheses in it do not count
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c in "([{":
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append("".join(cur).strip())
                return args
        elif c == "," and depth == 1:
            args.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    raise CheckError("unterminated SANENET_LINT_MESSAGE(...) call")


class Code:
    """What include/ declares: IDs, slugs, tags and where the waivers are read."""

    def __init__(self, root):
        self.compile_ids = {}   # id -> (file:line, tag or None)
        self.runtime_ids = {}   # id -> file:line
        self.slugs = {}         # id -> {slug: file:line}
        self.tags = {}          # tag -> (bit, id, slug)
        self.tag_reads = set()  # tags whose waiver some code consults
        self.problems = []
        headers = sorted(glob.glob(os.path.join(root, "include", "**", "*.hpp"), recursive=True))
        if not headers:
            raise CheckError(f"no headers under {os.path.join(root, 'include')}")
        lint_hpp = os.path.join(root, "include", "sanenet", "lints", "lint.hpp")
        if lint_hpp not in headers:
            raise CheckError(f"{lint_hpp} not found")
        tagged = []
        for path in headers:
            rel = os.path.relpath(path, root)
            text = read(path)
            tagged += [(m.group(1) or m.group(2), f"{rel}:{line_of(text, m.start())}") for m in TAGGED_CALL.finditer(text)
                       if not DEFINE_LINE.match(text, text.rfind("\n", 0, m.start()) + 1)]
            for m in MESSAGE_CALL.finditer(text):
                where = f"{rel}:{line_of(text, m.start())}"
                args = [" ".join(a.replace("\\\n", " ").split())
                        for a in call_arguments(text, m.start() + m.group(0).index("("))]
                tag = args[4] if len(args) >= 5 and args[4] else None
                self.compile_ids.setdefault(m.group(1), (where, tag))
                slug = args[1].strip('"') if len(args) > 1 else ""
                self.slugs.setdefault(m.group(1), {}).setdefault(slug, where)
            for m in LINT_ERROR.finditer(text):
                self.runtime_ids.setdefault(m.group(1), f"{rel}:{line_of(text, m.start())}")
            for m in RUNTIME_CALL.finditer(text):
                where = f"{rel}:{line_of(text, m.start())}"
                self.runtime_ids.setdefault(m.group(1), where)
                self.slugs.setdefault(m.group(1), {}).setdefault(m.group(2), where)
            for m in LITERAL.finditer(text):
                where = f"{rel}:{line_of(text, m.start())}"
                self.slugs.setdefault(m.group(1), {}).setdefault(m.group(2), where)
                if m.group(1) not in self.compile_ids:
                    self.runtime_ids.setdefault(m.group(1), where)
            if path == lint_hpp:
                for m in TAG_DECL.finditer(text):
                    tag, bit, lid, slug = m.group(1), int(m.group(2)), m.group(3), m.group(4)
                    if tag in self.tags:
                        self.problems.append(f"{rel}:{line_of(text, m.start())}: tag {tag} is declared twice")
                    self.tags[tag] = (bit, lid, slug)
            else:
                for m in re.finditer(r"\blint::(\w+)\b|\bSANENET_UNLESS_WAIVED\(\s*(\w+)\s*,", text):
                    self.tag_reads.add(m.group(1) or m.group(2))
        for tag, where in tagged:
            if tag not in self.tags:
                self.problems.append(f"{where}: SANENET_TAGGED({tag}, ...) names no tag of lint.hpp")
            else:
                _, lid, slug = self.tags[tag]
                self.runtime_ids.setdefault(lid, where)
                # The message is built from the tag's own ID and slug (Tag::id, Tag::slug).
                self.slugs.setdefault(lid, {}).setdefault(slug, where)
        if not self.tags:
            raise CheckError(f"no tag entries (Tag, bit, \"<ID>\", \"<slug>\") found in {lint_hpp}")
        # An ID with a compile-time message is a compile-time lint, whatever else mentions it.
        for lid in list(self.runtime_ids):
            if lid in self.compile_ids:
                del self.runtime_ids[lid]

    def ids(self):
        return set(self.compile_ids) | set(self.runtime_ids)

    def tag_of(self, lid):
        return next((t for t, (_, i, _) in self.tags.items() if i == lid), None)


def compile_cases(root):
    """{file name: (kind, id or None, text)} of tests/compile_fail/*.cpp, controls left out."""
    cases = {}
    problems = []
    for path in sorted(glob.glob(os.path.join(root, "tests", "compile_fail", "*.cpp"))):
        name = os.path.basename(path)
        if name.startswith("control_"):
            continue
        text = read(path)
        first = text.split("\n", 1)[0]
        m = DIRECTIVE.match(first)
        if not m:
            problems.append(f"tests/compile_fail/{name}:1: no '// EXPECT: error|warning \"...\"|clean' line")
            continue
        kind = m.group(3) or m.group(1)
        idm = EXPECT_ID.search(m.group(2) or "")
        cases[name] = (kind, idm.group(1) if idm else None, text)
    return cases, problems


def check_compile_tests(code, cases, root):
    problems = []
    by_id = {}
    for name, (kind, lid, text) in cases.items():
        stem = name[:-4]
        fm = FILE_ID.match(stem)
        if kind != "clean" and lid:
            by_id.setdefault(lid, []).append(name)
            if fm and fm.group(1).replace("_", ".") != lid:
                problems.append(f"tests/compile_fail/{name}: named after {fm.group(1).replace('_', '.')} "
                                f"but its EXPECT line names {lid}")
        if kind == "clean" and fm and re.search(r"_(clean|waived)$", stem):
            base = re.sub(r"_(clean|waived)$", "", stem) + ".cpp"
            if base not in cases or cases[base][0] == "clean":
                problems.append(f"tests/compile_fail/{name}: twin of {base}, which is not an error or warning case")
        if kind != "clean" and lid and not stem.endswith(("_clean", "_waived")):
            twin = stem + "_clean.cpp"
            example = INCLUDES_EXAMPLE.search(text)
            if example:
                target = os.path.normpath(os.path.join(root, "tests", "compile_fail", example.group(1)))
                if not os.path.isfile(target):
                    problems.append(f"tests/compile_fail/{name}: includes {example.group(1)}, its clean twin, "
                                    f"which does not exist")
            elif twin not in cases:
                problems.append(f"{lid}: tests/compile_fail/{name} has no clean twin tests/compile_fail/{twin}")
            elif cases[twin][0] != "clean":
                problems.append(f"{lid}: tests/compile_fail/{twin} must say '// EXPECT: clean'")
    for lid, (where, _) in sorted(code.compile_ids.items()):
        if lid not in by_id:
            problems.append(f"{lid} ({where}): no tests/compile_fail file whose '// EXPECT:' line names it")
            continue
        tag = code.tag_of(lid)
        if not tag:
            continue
        waived = []
        for case in by_id[lid]:
            w = case[:-4] + "_waived.cpp"
            if w in cases and cases[w][0] == "clean" and re.search(r"\blint::" + tag + r"\b", cases[w][2]):
                waived.append(w)
        if not waived:
            problems.append(f"{lid} is waivable (sn::lint::{tag}) but no case of it "
                            f"({', '.join(sorted(by_id[lid]))}) has a <stem>_waived.cpp twin that "
                            f"compiles clean with sn::Allow<sn::lint::{tag}>")
    return problems


def literal_end(text, i):
    """The end of the string or character literal starting at text[i] (a '"' or "'"), or None
    when text[i] starts none (a digit separator, 1'000). Raw strings R"x(...)x" included."""
    if text[i] == '"' and RAW_PREFIX.search(text, max(i - 4, 0), i):
        m = re.match(r'"([^()\\\s]{0,16})\(', text[i:])
        if m:
            close = text.find(")" + m.group(1) + '"', i + m.end())
            return len(text) if close < 0 else close + len(m.group(1)) + 2
    if text[i] == "'" and i > 0 and text[i - 1].isdigit():
        return None
    j = i + 1
    while j < len(text) and text[j] not in (text[i], "\n"):
        j += 2 if text[j] == "\\" else 1
    return min(j + 1, len(text))


def strip_comments(text):
    """The text with // and /* */ comments blanked (literals kept, newlines kept)."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        end = literal_end(text, i) if c in "\"'" else None
        if end is not None:
            out.append(text[i:end])
            i = end
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = len(text) if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = len(text) if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def assertions(text):
    """[(position, positive, expression)] of the doctest assertions in text (comments stripped):
    the macro's parenthesized arguments, read whole; `positive` as in (b) of the docstring."""
    found = []
    for m in ASSERTION.finditer(text):
        depth, i, bare = 0, m.end() - 1, []
        while i < len(text):
            c = text[i]
            end = literal_end(text, i) if c in "\"'" else None
            if end is not None:  # literals count for the ID, not for parentheses or negation
                bare.append('""')
                i = end
                continue
            depth += c == "("
            depth -= c == ")"
            bare.append(c)
            i += 1
            if depth == 0:
                break
        macro = m.group(0).rstrip("( \t")
        positive = not macro.endswith(("_FALSE", "_NE", "_NOTHROW")) and "!" not in "".join(bare)
        found.append((m.start(), positive, text[m.end() - 1:i]))
    return found


def test_cases(text):
    """The TEST_CASE bodies of a test file: each from its TEST_CASE to the next (or the end)."""
    starts = [m.start() for m in TEST_CASE.finditer(text)]
    return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]


def check_runtime_tests(code, root):
    problems = []
    files = sorted(glob.glob(os.path.join(root, "tests", "unit", "*.cpp")) +
                   glob.glob(os.path.join(root, "tests", "integration", "*.cpp")))
    cases = [case for f in files for case in test_cases(strip_comments(read(f)))]
    parsed = [(case, assertions(case)) for case in cases]
    for lid, where in sorted(code.runtime_ids.items()):
        literal = f'"{lid}"'
        if not any(positive and literal in e for _, found in parsed for _, positive, e in found):
            problems.append(f"{lid} ({where}): no test where the run-time lint fires (no positive CHECK/REQUIRE in "
                            f"tests/unit or tests/integration holds {literal}; CHECK_FALSE and '!' do not count)")
        tag = code.tag_of(lid)
        if not tag:
            continue
        waiver = re.compile(r"\b(?:allow|Allow)\s*<[^;{}()>]*\blint::" + tag + r"\b")
        waived = False
        for case, found in parsed:
            named = waiver.search(case)
            fires = [at for at, positive, e in found if positive and literal in e]
            if named and fires and any(not positive and literal in e and at > max(named.start(), fires[0])
                                       for at, positive, e in found):
                waived = True
                break
        if not waived:
            problems.append(f"{lid} ({where}): waivable (sn::lint::{tag}) but no waiver test: no TEST_CASE names "
                            f"allow<sn::lint::{tag}>() or Allow<sn::lint::{tag}> and asserts {literal} fires (CHECK), "
                            f"then, after the waiver, that it does not (CHECK_FALSE)")
    return problems


def docs_sections(root):
    """({id: (slug, line)}, {planned id: line}) of docs/lints.md."""
    path = os.path.join(root, "docs", "lints.md")
    if not os.path.isfile(path):
        return None, None
    sections, planned = {}, {}
    in_planned = False
    for n, line in enumerate(read(path).splitlines(), start=1):
        if line.startswith("## "):
            in_planned = line[3:].strip().lower().startswith("planned")
            m = SECTION.match(line)
            if m:
                sections[m.group(1)] = (m.group(2) or "", n)
            continue
        if in_planned:
            m = re.match(r"^\|\s*(" + ID + r")\s*\|", line)
            if m:
                planned[m.group(1)] = n
    return sections, planned


def check_docs(code, root):
    problems = []
    sections, planned = docs_sections(root)
    if sections is None:
        return ["docs/lints.md does not exist"], set()
    ids = code.ids()
    for lid in sorted(ids):
        slugs = code.slugs.get(lid, {})
        if len(slugs) > 1:
            problems.append(f"{lid}: the code spells it with {len(slugs)} slugs: " +
                            ", ".join(f"{s} ({w})" for s, w in sorted(slugs.items())))
        if lid not in sections:
            problems.append(f"{lid}: no '## {lid} <slug>' section in docs/lints.md")
        elif slugs and sections[lid][0] not in slugs:
            problems.append(f"docs/lints.md:{sections[lid][1]}: the section of {lid} is headed "
                            f"'{sections[lid][0]}', the code's slug is {', '.join(sorted(slugs))}")
    for lid, (_, n) in sorted(sections.items()):
        if lid not in ids and lid not in planned:
            problems.append(f"docs/lints.md:{n}: section for {lid}, which the code lacks and the Planned table does not list")
    for lid, n in sorted(planned.items()):
        if lid in ids:
            where = code.compile_ids.get(lid, (code.runtime_ids.get(lid),))[0]
            problems.append(f"docs/lints.md:{n}: {lid} is listed as planned but the code implements it ({where})")
    return problems, set(planned)


def check_tags(code, planned):
    problems = list(code.problems)
    ids = code.ids()
    bits = {}
    for tag, (bit, lid, slug) in sorted(code.tags.items()):
        if bit in bits:
            problems.append(f"tags {bits[bit]} and {tag} share bit {bit}: waiving one waives both")
        bits[bit] = tag
        if lid not in ids and lid not in planned:
            problems.append(f"sn::lint::{tag} ({lid}) is neither implemented nor listed in the Planned table of docs/lints.md")
        slugs = code.slugs.get(lid, {})
        if lid in ids and slugs and slug not in slugs:
            problems.append(f"sn::lint::{tag} ({lid}) has the slug {slug} in lint.hpp, the messages spell "
                            f"{', '.join(sorted(slugs))}")
        if lid in code.compile_ids and tag not in code.tag_reads:
            problems.append(f"sn::lint::{tag} ({lid}) is implemented but no code reads its waiver "
                            f"(no lint::{tag} or SANENET_UNLESS_WAIVED({tag}, outside lint.hpp)")
    for lid, (where, tag) in sorted(code.compile_ids.items()):
        table = code.tag_of(lid)
        if tag and (tag not in code.tags or code.tags[tag][1] != lid):
            problems.append(f"{where}: the message of {lid} names sn::lint::{tag}, whose ID is "
                            f"{code.tags[tag][1] if tag in code.tags else 'undeclared'}")
        elif table and not tag:
            problems.append(f"{where}: {lid} has the tag sn::lint::{table} but its message prints no waiver")
    return problems


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=ROOT, help="the repository (default: %(default)s)")
    args = ap.parse_args(argv)
    root = os.path.abspath(args.root)
    try:
        code = Code(root)
        cases, problems = compile_cases(root)
        problems += check_compile_tests(code, cases, root)
        problems += check_runtime_tests(code, root)
        doc_problems, planned = check_docs(code, root)
        problems += doc_problems
        problems += check_tags(code, planned)
    except CheckError as e:
        print(f"check_lints: cannot check: {e}", file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    summary = (f"{len(code.compile_ids)} compile-time and {len(code.runtime_ids)} run-time lints, "
               f"{len(code.tags)} tags, {len(cases)} compile_fail files")
    if problems:
        print(f"check_lints: {len(problems)} problem(s); {summary}", file=sys.stderr)
        return 1
    print(f"check_lints: OK: {summary}; each tested, twinned and documented")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
