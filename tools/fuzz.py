#!/usr/bin/env python3
"""Runs sanenet's libFuzzer targets (tests/fuzz/) and reports what they did.

    tools/fuzz.py run --binary B --seeds DIR --work DIR --seconds N
        one target (what ctest's fuzz.* run): N seconds over the seeds plus the inputs it
        found before (WORK/corpus), then one line: runs, runs per second, coverage (edges),
        features, corpus size, peak RSS, crashes. Exit 1 on a crash, naming the input and
        the command that replays it.
    tools/fuzz.py all --build BUILD [--seconds N] [--parallel P]
        every fuzz_* binary of BUILD/tests/fuzz (what `make fuzz` runs), P at a time, and a table.
    tools/fuzz.py seeds --build BUILD
        regenerates tests/fuzz/corpus/<name>/ with each binary's --write-seeds.

The limits are the same for every target: 10 s per input (-timeout), 2 GB of RSS and no
single allocation above 512 MB (-malloc_limit_mb: a loader that allocates what a hostile size
claims is a crash), inputs up to 64 KiB.
"""
import argparse
import concurrent.futures
import glob
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIMITS = ["-timeout=10", "-rss_limit_mb=2048", "-malloc_limit_mb=512", "-max_len=65536"]


def parse(log):
    """The final figures of a libFuzzer run from its output."""
    out = {}
    for key, pattern in [("runs", r"stat::number_of_executed_units:\s*(\d+)"),
                         ("exec_per_sec", r"stat::average_exec_per_sec:\s*(\d+)"),
                         ("new_units", r"stat::new_units_added:\s*(\d+)"),
                         ("peak_rss_mb", r"stat::peak_rss_mb:\s*(\d+)")]:
        m = re.findall(pattern, log)
        if m:
            out[key] = int(m[-1])
    # The last status line, e.g. "#123456 DONE cov: 812 ft: 2345 corp: 310/50Kb ..."
    for key, pattern in [("cov", r"cov: (\d+)"), ("ft", r"ft: (\d+)"), ("corpus", r"corp: (\d+)/")]:
        m = re.findall(pattern, log)
        if m:
            out[key] = int(m[-1])
    return out


def run_one(binary, seeds, work, seconds, quiet=False):
    name = os.path.basename(binary)
    corpus = os.path.join(work, "corpus")
    crashes = os.path.join(work, "crashes")
    os.makedirs(corpus, exist_ok=True)
    if os.path.isdir(crashes):
        shutil.rmtree(crashes)
    os.makedirs(crashes)
    cmd = [binary, "-max_total_time=%d" % seconds, "-print_final_stats=1", "-artifact_prefix=" + crashes + "/"] + LIMITS
    cmd += [corpus, seeds]  # new inputs go to the first directory, never into the repository's seeds
    start = time.time()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    elapsed = time.time() - start
    with open(os.path.join(work, "last.log"), "w") as f:
        f.write(proc.stdout)
    stats = parse(proc.stdout)
    found = sorted(glob.glob(os.path.join(crashes, "*")))
    stats.update(name=name, seconds=elapsed, crashes=len(found), rc=proc.returncode)
    line = ("fuzz %s: %s runs in %.0f s (%s/s), coverage %s edges, %s features, corpus %s inputs (%s new), "
            "peak RSS %s MB, crashes %d" % (name, stats.get("runs", "?"), elapsed, stats.get("exec_per_sec", "?"),
                                            stats.get("cov", "?"), stats.get("ft", "?"), stats.get("corpus", "?"),
                                            stats.get("new_units", "?"), stats.get("peak_rss_mb", "?"), len(found)))
    if not quiet:
        print(line, flush=True)
    if proc.returncode != 0 or found or "runs" not in stats:
        tail = "\n".join(proc.stdout.splitlines()[-60:])
        print("%s\nFAILED: %s (exit %d); log %s" % (tail, name, proc.returncode, os.path.join(work, "last.log")))
        for path in found:
            print("crash input: %s\nreplay: %s %s" % (path, binary, path))
        stats["failed"] = True
    stats["line"] = line
    return stats


def binaries(build):
    found = sorted(p for p in glob.glob(os.path.join(build, "tests", "fuzz", "fuzz_*")) if os.access(p, os.X_OK)
                   and os.path.isfile(p))
    if not found:
        sys.exit("no fuzz_* binaries in %s/tests/fuzz: configure with clang++-19 and -DSANENET_BUILD_FUZZ=ON" % build)
    return found


def seeds_of(binary):
    return os.path.join(ROOT, "tests", "fuzz", "corpus", os.path.basename(binary)[len("fuzz_"):])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--binary", required=True)
    r.add_argument("--seeds", required=True)
    r.add_argument("--work", required=True)
    r.add_argument("--seconds", type=int, default=25)
    a = sub.add_parser("all")
    a.add_argument("--build", required=True)
    a.add_argument("--seconds", type=int, default=300)
    a.add_argument("--parallel", type=int, default=2)
    s = sub.add_parser("seeds")
    s.add_argument("--build", required=True)
    args = ap.parse_args()

    if args.cmd == "run":
        stats = run_one(args.binary, args.seeds, args.work, args.seconds)
        return 1 if stats.get("failed") else 0

    if args.cmd == "seeds":
        for b in binaries(args.build):
            out = seeds_of(b)
            if os.path.isdir(out):
                shutil.rmtree(out)
            subprocess.run([b, "--write-seeds=" + out], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            files = os.listdir(out)
            print("%s: %d seeds, %d bytes" % (out, len(files), sum(os.path.getsize(os.path.join(out, f)) for f in files)))
        return 0

    todo = binaries(args.build)
    print("fuzzing %d targets for %d s each, %d at a time" % (len(todo), args.seconds, args.parallel), flush=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.parallel) as pool:
        futures = [pool.submit(run_one, b, seeds_of(b), os.path.join(args.build, "tests", "fuzz", "work",
                                                                      os.path.basename(b)[len("fuzz_"):]), args.seconds)
                   for b in todo]
        results = [f.result() for f in futures]
    print("\n| target | runs | runs/s | coverage (edges) | features | corpus | peak RSS (MB) | crashes |")
    print("|---|---|---|---|---|---|---|---|")
    for s in results:
        print("| %s | %s | %s | %s | %s | %s | %s | %d |" % (s["name"], s.get("runs", "?"), s.get("exec_per_sec", "?"),
                                                         s.get("cov", "?"), s.get("ft", "?"), s.get("corpus", "?"),
                                                         s.get("peak_rss_mb", "?"), s["crashes"]))
    failed = [s["name"] for s in results if s.get("failed")]
    print("\n%d targets, %d runs in all, %d crashes%s" % (len(results), sum(s.get("runs", 0) for s in results),
                                                         sum(s["crashes"] for s in results),
                                                         "; FAILED: " + ", ".join(failed) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
