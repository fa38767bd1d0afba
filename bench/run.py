#!/usr/bin/env python3
"""sanenet's performance benchmark: one command, the anchors side by side.

Runs, interleaved over several rounds on this machine, sanenet's C++ benchmark
(build/bench/perf: GEMM kernels vs OpenBLAS cblas_sgemm in the same process, training
throughput, predict_one latency, monitor overhead, peak memory), the PyTorch script
(bench/torch_mlp.py under Debian's /usr/bin/python3) and, when built, the dlib anchor
(build/bench/dlib_mlp); prints the ratios sanenet / anchor and writes docs/benchmarks.md.

    make bench            # installs what it needs, builds, runs this
    bench/run.py --build build --rounds 3
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TORCH_PYTHON = "/usr/bin/python3"


def run_json(cmd, env=None):
    print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, env={**os.environ, **(env or {})}).stdout.decode()
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def median(values):
    return statistics.median(values) if values else None


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_has(flag):
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and flag in line.split() for line in f)
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    ap.add_argument("--no-write", action="store_true", help="print only, do not rewrite docs/benchmarks.md")
    args = ap.parse_args()

    perf = os.path.join(args.build, "bench", "perf")
    dlib = os.path.join(args.build, "bench", "dlib_mlp")
    if not os.path.exists(perf):
        sys.exit(f"run.py: {perf} is not built (make bench builds it)")
    have_dlib = os.path.exists(dlib)
    # Debian's OpenBLAS 0.3.21 does not recognise recent AVX-512 CPUs and falls back to older
    # kernels: force its AVX-512 ones there. Elsewhere (AVX2 only) SkylakeX would be an illegal
    # instruction, and its own detection is the fast setting.
    avx512 = cpu_has("avx512f")
    fast_blas = {"OPENBLAS_NUM_THREADS": "1", **({"OPENBLAS_CORETYPE": "SkylakeX"} if avx512 else {})}

    gemm = run_json([perf, "gemm"], fast_blas)
    gemm_default = run_json([perf, "gemm"], {"OPENBLAS_NUM_THREADS": "1"}) if avx512 else []
    core = next((g for g in gemm if g["case"] == "openblas_core"), {"core": "?", "sanenet_arch": "?"})
    train = {}  # (system, batch, threads) -> [samples/s]
    latency = {}  # system -> [(median, p99)]
    monitor = []
    for r in range(args.rounds):
        # Rotate the order so that no system always runs first (or last) in a round.
        jobs = [("sanenet", [perf, "train"], fast_blas),
                ("pytorch", [TORCH_PYTHON, os.path.join(ROOT, "bench", "torch_mlp.py"), "--latency"], None)]
        if have_dlib:
            jobs.append(("dlib", [dlib], fast_blas))  # dlib calls OpenBLAS: the same fast setting
        jobs = jobs[r % len(jobs):] + jobs[:r % len(jobs)]
        for name, cmd, env in jobs:
            for row in run_json(cmd, env):
                if row.get("case") == "train":
                    train.setdefault((row["system"], row["batch"], row["threads"]), []).append(row["samples_per_s"])
                elif row.get("case") == "predict_one":
                    latency.setdefault(row["system"], []).append((row["median_us"], row["p99_us"]))
                elif row.get("case") == "monitor_overhead":
                    monitor.append(row)
    rss = run_json([perf, "rss-train"]) + run_json([perf, "rss-predict"])

    lines = []
    emit = lines.append
    emit("# Benchmarks\n")
    emit(f"Measured {datetime.date.today().isoformat()} on {cpu_name()}, {os.cpu_count()} cores, "
         f"with `bench/run.py --rounds {args.rounds}` (`make bench`). Medians over the rounds; "
         "sanenet, OpenBLAS, PyTorch and dlib run interleaved on the same machine, in the same "
         "session. The machine is shared: absolute numbers move from run to run, the ratios much less.\n")

    emit("## GEMM kernels against OpenBLAS (1 thread)\n")
    if avx512:
        emit(f"OpenBLAS 0.3.21 from Debian with `OPENBLAS_CORETYPE=SkylakeX` (its AVX-512 kernels; "
             "without it, Debian's build falls back to older kernels on this CPU - column *default*); "
             f"sanenet's kernels: {core['sanenet_arch']}. "
             "GFLOP/s; the MLP's 8 GEMMs of one training step at each batch size, and 1024^3.\n")
    else:
        emit(f"This CPU has no AVX-512: OpenBLAS 0.3.21 from Debian with the kernels it detects "
             f"({core['core']}), sanenet's kernels {core['sanenet_arch']}. "
             "GFLOP/s; the MLP's 8 GEMMs of one training step at each batch size, and 1024^3.\n")
    emit("| GEMM | batch | m x n x k | sanenet | OpenBLAS | ratio |" + (" OpenBLAS default |" if avx512 else ""))
    emit("|---|---:|---|---:|---:|---:|" + ("---:|" if avx512 else ""))
    default = {(g["shape"], g["batch"]): g["openblas_gflops"] for g in gemm_default if g["case"] == "gemm"}
    below = []
    for g in gemm:
        if g["case"] != "gemm":
            continue
        ratio = g["sanenet_gflops"] / g["openblas_gflops"]
        if g["batch"] and g["batch"] <= 32 and ratio < 1.0:
            below.append(f'{g["shape"]} at batch {g["batch"]} ({ratio:.2f})')
        emit(f'| {g["shape"]} | {g["batch"] or "-"} | {g["m"]} x {g["n"]} x {g["k"]} | {g["sanenet_gflops"]:.1f} | '
             f'{g["openblas_gflops"]:.1f} | {ratio:.2f} |' +
             (f' {default.get((g["shape"], g["batch"]), float("nan")):.1f} |' if avx512 else ""))
    bound = {g["batch"]: g["samples_per_s"] for g in gemm if g["case"] == "openblas_step_bound"}
    emit("")

    emit("## Training throughput (samples/s), MLP 784-256-128-10, SGD + momentum\n")
    emit("*OpenBLAS bound*: samples/s if a step cost only OpenBLAS's 8 GEMMs (1 thread). "
         "sanenet here is the engine's step (forward, backward, update) on Fashion-MNIST rows.\n")
    systems = ["sanenet", "pytorch"] + (["dlib"] if have_dlib else [])
    emit("| batch | threads | " + " | ".join(systems) + " | OpenBLAS bound | " +
         " | ".join(f"sanenet / {s}" for s in systems[1:]) + " | sanenet / bound |")
    emit("|---:|---:|" + "---:|" * (len(systems) * 2 + 1))
    t = {k: median(v) for k, v in train.items()}
    for threads in (1, 2):
        for batch in (1, 8, 32, 128):
            ours = t.get(("sanenet", batch, threads))
            if ours is None:
                continue
            cells = [f"{t[(s, batch, threads)]:.0f}" if t.get((s, batch, threads)) else "-" for s in systems]
            ratios = [f"{ours / t[(s, batch, threads)]:.2f}" if t.get((s, batch, threads)) else "-" for s in systems[1:]]
            b = bound.get(batch) if threads == 1 else None
            emit(f"| {batch} | {threads} | " + " | ".join(cells) + " | " + (f"{b:.0f}" if b else "-") + " | " +
                 " | ".join(ratios) + " | " + (f"{ours / b:.2f}" if b else "-") + " |")
    emit("")
    scale = {b: t[("sanenet", b, 2)] / t[("sanenet", b, 1)] for b in (1, 8, 32, 128)
             if t.get(("sanenet", b, 2)) and t.get(("sanenet", b, 1))}
    emit("Two threads against one (sanenet): " + ", ".join(f"batch {b}: {v:.2f}x" for b, v in scale.items()) + ".\n")

    emit("## predict_one latency (784-256-128-10, one sample, 1 thread)\n")
    emit("| system | median (us) | p99 (us) |")
    emit("|---|---:|---:|")
    lat = {s: (median([m for m, _ in v]), median([p for _, p in v])) for s, v in latency.items()}
    for s, (m, p) in lat.items():
        emit(f"| {s} | {m:.2f} | {p:.2f} |")
    emit("")

    if monitor:
        on = median([m["fit_seconds_monitors_on"] for m in monitor])
        off = median([m["fit_seconds_monitors_off"] for m in monitor])
        emit("## Cost of fit's monitors\n")
        emit(f"One epoch of the MLP on 60000 Fashion-MNIST samples, batch 32, SGD, 1 thread: "
             f"{on:.3f} s with `FitOptions::monitor = true` (the default), {off:.3f} s without: "
             f"{100 * (on / off - 1):+.1f}%.\n")

    emit("## Peak memory (RSS)\n")
    for r in rss:
        emit(f"- {r['what']}: {r['mib']:.1f} MiB")
    emit("")

    emit("## Targets (issue: performance)\n")
    def verdict(ok):
        return "met" if ok else "not met"
    rows = []
    for batch, need_torch in ((32, 3.0), (128, 2.0), (1, 30.0)):
        ours, torch = t.get(("sanenet", batch, 1)), t.get(("pytorch", batch, 1))
        if ours and torch:
            rows.append((f"training, batch {batch}, 1 thread: >= {need_torch:g}x PyTorch", f"{ours / torch:.2f}x", verdict(ours / torch >= need_torch)))
        d = t.get(("dlib", batch, 1))
        if ours and d and batch != 1:
            rows.append((f"training, batch {batch}, 1 thread: >= {need_torch:g}x dlib", f"{ours / d:.2f}x", verdict(ours / d >= need_torch)))
    if t.get(("sanenet", 32, 1)) and bound.get(32):
        f = t[("sanenet", 32, 1)] / bound[32]
        rows.append(("batch 32: >= 75% of the OpenBLAS-GEMM bound", f"{100 * f:.0f}%", verdict(f >= 0.75)))
    if 128 in scale:
        rows.append(("two threads: >= 1.6x one thread at batch 128", f"{scale[128]:.2f}x", verdict(scale[128] >= 1.6)))
    sq = next((g for g in gemm if g["case"] == "gemm" and g["shape"] == "square 1024"), None)
    if sq:
        f = sq["sanenet_gflops"] / sq["openblas_gflops"]
        rows.append(("GEMM 1024^3: >= 90% of OpenBLAS", f"{100 * f:.0f}%", verdict(f >= 0.9)))
    rows.append(("GEMM at the MLP shapes, batch <= 32: >= OpenBLAS", "below: " + ("; ".join(below) if below else "none"), verdict(not below)))
    if "sanenet" in lat:
        ok = lat["sanenet"][0] <= 8.0 and (("dlib" not in lat) or lat["sanenet"][0] <= lat["dlib"][0] / 2)
        ref = f", dlib {lat['dlib'][0]:.2f} us" if "dlib" in lat else ""
        rows.append(("predict_one <= 8 us and <= half of dlib's", f"{lat['sanenet'][0]:.2f} us{ref}", verdict(ok)))
    emit("| target | measured | |")
    emit("|---|---|---|")
    for name, value, v in rows:
        emit(f"| {name} | {value} | {v} |")
    emit("")

    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        # bench/compile_cost.py --write owns the part between its markers; keep it.
        begin, end = "<!-- compile-cost:begin -->", "<!-- compile-cost:end -->"
        old = open(args.out).read() if os.path.exists(args.out) else ""
        if begin in old and end in old:
            text += "\n" + old[old.index(begin):old.index(end) + len(end)] + "\n"
        with open(args.out, "w") as f:
            f.write(text)
        print(f"run.py: wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
