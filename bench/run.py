#!/usr/bin/env python3
"""sanenet's performance benchmark: one command, the anchors side by side.

Runs, interleaved over several rounds on this machine:
  build/bench/perf            sanenet built for this machine (-march=native): GEMM kernels vs
                              OpenBLAS cblas_sgemm in the same process, the training step, sn::fit
                              end to end, predict_one latency, monitor overhead, OpenBLAS on 1 and 2
                              threads, peak memory;
  build/bench/perf_avx2       on an AVX-512 machine, the same source built with -mavx2 -mfma;
  build/bench/torch_mlp       libtorch C++ (libtorch-dev): the step, its own epoch loop, predict_one;
  bench/torch_mlp.py          PyTorch (Debian's /usr/bin/python3, python3-torch): the same;
  build/bench/dlib_mlp        dlib (libdlib-dev): the step, predict_one;
  build/bench/eigen_predict   a hand-written Eigen chain of the network (libeigen3-dev): predict_one
                              (and eigen_predict_avx2);
prints the ratios sanenet / anchor and the targets, and writes this machine's section of
docs/benchmarks.md (AVX-512 or AVX2), keeping the other architecture's section and the
compile-cost part.

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
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TORCH_PYTHON = "/usr/bin/python3"
ARCHES = ("avx512", "avx2")  # the sections of docs/benchmarks.md, in this order
COMPILE_COST = ("<!-- compile-cost:begin -->", "<!-- compile-cost:end -->")  # bench/compile_cost.py's part


def markers(arch):
    return f"<!-- bench:{arch}:begin -->", f"<!-- bench:{arch}:end -->"


def run_json(cmd, env=None):
    print("$ " + " ".join(f"{k}={v}" for k, v in (env or {}).items()) + (" " if env else "") + " ".join(cmd),
          file=sys.stderr, flush=True)
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


def fmt(v, spec=".0f"):
    return "-" if v is None else format(v, spec)


def ratio(a, b):
    return a / b if a is not None and b else None


def verdict(value, ok):
    """A target's verdict: a missing measurement is never a pass."""
    if value is None:
        return "not measured"
    return "met" if ok(value) else "not met"


class Results:
    def __init__(self):
        self.rate = {}  # (system, case, batch, threads) -> [samples/s]
        self.samples = {}  # (system, case, batch, threads) -> samples per measurement
        self.latency = {}  # (system, layout) -> [(median us, p99 us)]
        self.latency_bf16 = {}  # system -> [(median us, p99 us)] of its bf16 quantization (sn::quantize)
        self.blas_threads = {}  # (what, batch, threads) -> [samples/s or GFLOP/s]
        self.core_to_core = []  # [(round trip ns, fork-join us)]
        self.monitor = []

    def add(self, system, rows):
        for row in rows:
            case = row.get("case")
            if case in ("train", "fit"):
                key = (system, case, row["batch"], row["threads"])
                self.rate.setdefault(key, []).append(row["samples_per_s"])
                if "samples" in row:
                    self.samples[key] = row["samples"]
            elif case == "predict_one_bf16":
                self.latency_bf16.setdefault(system, []).append((row["median_us"], row["p99_us"]))
            elif case == "predict_one":
                self.latency.setdefault((system, row.get("layout", "")), []).append((row["median_us"], row["p99_us"]))
            elif case == "monitor_overhead":
                self.monitor.append(row)
            elif case == "core_to_core":
                self.core_to_core.append((row["round_trip_ns"], row["fork_join_us"]))
            elif case == "openblas_threads":
                value = row.get("samples_per_s", row.get("gflops"))
                self.blas_threads.setdefault((row["what"], row["batch"], row["threads"]), []).append(value)

    def r(self, system, case, batch, threads=1):
        return median(self.rate.get((system, case, batch, threads), []))

    def lat(self, system):
        """(median, p99) of the system; of its faster layout when it has several (Eigen)."""
        best = None
        for (s, _layout), v in self.latency.items():
            if s != system:
                continue
            m = (median([a for a, _ in v]), median([b for _, b in v]))
            if best is None or m[0] < best[0]:
                best = m
        return best

    def lat_bf16(self, system):
        v = self.latency_bf16.get(system)
        return (median([a for a, _ in v]), median([b for _, b in v])) if v else None

    def layouts(self, system):
        return {layout: (median([a for a, _ in v]), median([b for _, b in v]))
                for (s, layout), v in self.latency.items() if s == system}


class Build:
    """One sanenet build and the anchors it is compared with (all measured in this run)."""

    def __init__(self, key, binary, title, system, libtorch, pytorch, dlib, eigen, gemm_env, blas_name):
        self.key, self.binary, self.title, self.system = key, binary, title, system
        self.libtorch, self.pytorch, self.dlib, self.eigen = libtorch, pytorch, dlib, eigen
        self.gemm_env, self.blas_name = gemm_env, blas_name
        self.gemm = []


def gemm_table(b, emit):
    core = next((g for g in b.gemm if g["case"] == "openblas_core"), {"core": "?", "sanenet_arch": "?"})
    emit(f"OpenBLAS 0.3.21 from Debian with its {core['core']} kernels ({b.blas_name}); sanenet's kernels: "
         f"{core['sanenet_arch']}. GFLOP/s, median of 9 windows per shape; the MLP's 8 GEMMs of one training step "
         "at each batch size, and 1024^3.\n")
    emit("| GEMM | batch | m x n x k | sanenet | OpenBLAS | ratio |")
    emit("|---|---:|---|---:|---:|---:|")
    for g in b.gemm:
        if g["case"] == "gemm":
            emit(f'| {g["shape"]} | {g["batch"] or "-"} | {g["m"]} x {g["n"]} x {g["k"]} | {g["sanenet_gflops"]:.1f} | '
                 f'{g["openblas_gflops"]:.1f} | {g["sanenet_gflops"] / g["openblas_gflops"]:.2f} |')
    emit("")


def bound_of(b):
    return {g["batch"]: g["samples_per_s"] for g in b.gemm if g["case"] == "openblas_step_bound"}


def step_table(b, res, emit):
    bound = bound_of(b)
    anchors = [("libtorch", b.libtorch), ("PyTorch", b.pytorch), ("dlib", b.dlib)]
    emit("The engine's step alone (forward, backward, update) on consecutive Fashion-MNIST rows, samples/s; "
         "the anchors' steps the same way. *OpenBLAS bound*: samples/s if a step cost only OpenBLAS's 8 GEMMs "
         "(1 thread).\n")
    emit("| batch | threads | sanenet | " + " | ".join(n for n, _ in anchors) + " | OpenBLAS bound | " +
         " | ".join(f"sanenet / {n}" for n, _ in anchors) + " | sanenet / bound |")
    emit("|---:|---:|" + "---:|" * (2 * len(anchors) + 3))
    for batch in (1, 8, 32, 128):
        for threads in (1, 2):
            ours = res.r(b.system, "train", batch, threads)
            if ours is None:
                continue
            theirs = [res.r(s, "train", batch, threads) if s else None for _, s in anchors]
            bd = bound.get(batch) if threads == 1 else None
            emit(f"| {batch} | {threads} | {ours:.0f} | " + " | ".join(fmt(t) for t in theirs) + f" | {fmt(bd)} | " +
                 " | ".join(fmt(ratio(ours, t), ".2f") for t in theirs) + f" | {fmt(ratio(ours, bd), '.2f')} |")
    emit("")


def fit_table(b, res, emit):
    emit("`sn::fit(net, x, y, o)` as a user writes it (SGD with momentum, the batch, the threads, "
         "`progress = false`, validation waived as the anchors validate nothing; shuffling, data lints and "
         "monitors at their defaults), one epoch, timed whole; the anchors' own epoch loops (randperm, "
         "index_select, zero_grad, forward, loss, backward, step, `loss.item()`), one epoch. Samples/s. "
         "*overhead*: the step's rate over fit's, minus 1.\n")
    emit("| batch | threads | rows | sanenet step | sanenet fit | overhead | libtorch fit | PyTorch fit | "
         "fit / libtorch | fit / PyTorch | libtorch fit / step | PyTorch fit / step |")
    emit("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for batch in (1, 8, 32, 128):
        for threads in (1, 2):
            fit = res.r(b.system, "fit", batch, threads)
            if fit is None:
                continue
            step = res.r(b.system, "train", batch, threads)
            lt = res.r(b.libtorch, "fit", batch, threads) if b.libtorch else None
            pt = res.r(b.pytorch, "fit", batch, threads) if b.pytorch else None
            lts = res.r(b.libtorch, "train", batch, threads) if b.libtorch else None
            pts = res.r(b.pytorch, "train", batch, threads) if b.pytorch else None
            rows = res.samples.get((b.system, "fit", batch, threads), "-")
            over = ratio(step, fit)
            emit(f"| {batch} | {threads} | {rows} | {fmt(step)} | {fit:.0f} | "
                 f"{'-' if over is None else f'{100 * (over - 1):+.1f}%'} | {fmt(lt)} | {fmt(pt)} | "
                 f"{fmt(ratio(fit, lt), '.2f')} | {fmt(ratio(fit, pt), '.2f')} | {fmt(ratio(lt, lts), '.2f')} | "
                 f"{fmt(ratio(pt, pts), '.2f')} |")
    emit("")


def latency_table(b, res, emit):
    emit("One sample, 1 thread. sanenet: 20 blocks of 1000 timed calls each of the fp32 and the bf16 `predict_one`, "
         "interleaved block by block, each block after 200 untimed calls; the others: 1000 calls to warm up, then "
         "20000 timed (the Eigen chain's layouts; libtorch: eval mode, NoGradGuard, forward and softmax; PyTorch: "
         "`torch.no_grad()`, forward without softmax; dlib: `net(x)` of its inference net).\n")
    emit("| system | median (us) | p99 (us) | p99 / median |")
    emit("|---|---:|---:|---:|")
    rows = [("sanenet", b.system)] + [(f"Eigen chain, {layout}", None) for layout in sorted(res.layouts(b.eigen or ""))] + \
        [("libtorch", b.libtorch), ("PyTorch", b.pytorch), ("dlib", b.dlib)]
    eigen = res.layouts(b.eigen or "")
    for name, system in rows:
        if name.startswith("Eigen chain, "):
            m, p = eigen[name[len("Eigen chain, "):]]
        elif system and res.lat(system):
            m, p = res.lat(system)
        else:
            continue
        emit(f"| {name} | {m:.2f} | {p:.2f} | {p / m:.2f} |")
        if system == b.system and res.lat_bf16(b.system):
            m, p = res.lat_bf16(b.system)
            emit(f"| sanenet, bf16 weights (`sn::quantize`, interleaved with fp32) | {m:.2f} | {p:.2f} | {p / m:.2f} |")
    emit("")


def targets(b, res):
    """Issue 17's targets, and the earlier performance issue's that it does not supersede, for one build."""
    bound = bound_of(b)
    rows = []
    for batch, need in ((32, 2.5), (128, 1.6)):
        v = ratio(res.r(b.system, "fit", batch), res.r(b.libtorch, "fit", batch) if b.libtorch else None)
        rows.append((f"`sn::fit`, 1 thread, batch {batch}: >= {need:g}x libtorch's fit loop", fmt(v, ".2f") + "x" * (v is not None),
                     verdict(v, lambda x, n=need: x >= n)))
    for batch in (32, 128):
        v = ratio(res.r(b.system, "fit", batch), res.r(b.pytorch, "fit", batch) if b.pytorch else None)
        rows.append((f"`sn::fit`, 1 thread, batch {batch}: >= 3x PyTorch's fit loop", fmt(v, ".2f") + "x" * (v is not None),
                     verdict(v, lambda x: x >= 3.0)))
    for batch in (32, 128):
        over = ratio(res.r(b.system, "train", batch), res.r(b.system, "fit", batch))
        v = None if over is None else 100 * (over - 1)
        rows.append((f"fit's overhead over the step, batch {batch}: <= 5%", fmt(v, "+.1f") + "%" * (v is not None),
                     verdict(v, lambda x: x <= 5.0)))
    narrow = [g for g in b.gemm if g["case"] == "gemm" and g["shape"] in ("fwd 128->10", "dW 128x10", "dX 10->128")]
    below = [f'{g["shape"]} at {g["batch"]} ({g["sanenet_gflops"] / g["openblas_gflops"]:.2f})' for g in narrow
             if g["sanenet_gflops"] < g["openblas_gflops"]]
    low = min((g["sanenet_gflops"] / g["openblas_gflops"] for g in narrow), default=None)
    rows.append(("10-output GEMMs (fwd 128->10, dW 128x10, dX 10->128) >= OpenBLAS at every batch",
                 ("lowest " + fmt(low, ".2f") + ("; below: " + ", ".join(below) if below else "")) if narrow else "-",
                 verdict(low, lambda x: x >= 1.0)))
    v = ratio(res.r(b.system, "train", 128), bound.get(128))
    rows.append(("step, batch 128: >= 0.9 of the OpenBLAS bound", fmt(v, ".2f"), verdict(v, lambda x: x >= 0.9)))
    v = ratio(res.r(b.system, "train", 1), res.r(b.pytorch, "train", 1) if b.pytorch else None)
    rows.append(("step, batch 1: >= 30x PyTorch", fmt(v, ".1f") + "x" * (v is not None), verdict(v, lambda x: x >= 30.0)))
    ours, eig = res.lat(b.system), res.lat(b.eigen) if b.eigen else None
    v = ratio(ours[0], eig[0]) if ours and eig else None
    rows.append(("predict_one median <= 1.0x the Eigen chain's (faster layout)",
                 f"{v:.2f}x ({ours[0]:.2f} against {eig[0]:.2f} us)" if v is not None else "-", verdict(v, lambda x: x <= 1.0)))
    v = ratio(ours[1], ours[0]) if ours else None
    rows.append(("predict_one p99 <= 2x its median", f"{v:.2f}x ({ours[1]:.2f} us)" if v is not None else "-",
                 verdict(v, lambda x: x <= 2.0)))
    low = res.lat_bf16(b.system)
    v = ratio(low[0], ours[0]) if low and ours else None
    rows.append(("predict_one with bf16 weights <= 0.5x fp32's median (sn::quantize, same run)",
                 f"{v:.2f}x ({low[0]:.2f} against {ours[0]:.2f} us)" if v is not None else "-", verdict(v, lambda x: x <= 0.5)))
    for batch, need in ((128, 1.6), (32, 1.3)):
        v = ratio(res.r(b.system, "fit", batch, 2), res.r(b.system, "fit", batch, 1))
        rows.append((f"`sn::fit`, 2 threads against 1, batch {batch}: >= {need:g}x", fmt(v, ".2f") + "x" * (v is not None),
                     verdict(v, lambda x, n=need: x >= n)))
    # The earlier performance issue's, not superseded by issue 17's.
    for batch, need in ((32, 3.0), (128, 2.0)):
        v = ratio(res.r(b.system, "train", batch), res.r(b.dlib, "train", batch) if b.dlib else None)
        rows.append((f"step, batch {batch}, 1 thread: >= {need:g}x dlib", fmt(v, ".2f") + "x" * (v is not None),
                     verdict(v, lambda x, n=need: x >= n)))
    v = ratio(res.r(b.system, "train", 32), bound.get(32))
    rows.append(("step, batch 32: >= 75% of the OpenBLAS bound", fmt(None if v is None else 100 * v, ".0f") + "%" * (v is not None),
                 verdict(v, lambda x: x >= 0.75)))
    sq = next((g for g in b.gemm if g["case"] == "gemm" and g["shape"] == "square 1024"), None)
    v = sq["sanenet_gflops"] / sq["openblas_gflops"] if sq else None
    rows.append(("GEMM 1024^3: >= 90% of OpenBLAS", fmt(None if v is None else 100 * v, ".0f") + "%" * (v is not None),
                 verdict(v, lambda x: x >= 0.9)))
    small = [g for g in b.gemm if g["case"] == "gemm" and g["batch"] and g["batch"] <= 32]
    below = [f'{g["shape"]} at {g["batch"]} ({g["sanenet_gflops"] / g["openblas_gflops"]:.2f})' for g in small
             if g["sanenet_gflops"] < g["openblas_gflops"]]
    rows.append(("GEMM at the MLP shapes, batch <= 32: >= OpenBLAS", ("below: " + ("; ".join(below) if below else "none")) if small else "-",
                 verdict(len(below) if small else None, lambda x: x == 0)))
    return rows


def two_threads(b, res, emit):
    emit("Samples/s on 2 threads against 1, the same rounds (sanenet's 1- and 2-thread runs of each batch back to "
         "back). OpenBLAS: the step's 8 GEMMs and 1024^3 through `cblas_sgemm` with `openblas_set_num_threads` 1 "
         "and 2, interleaved: whether this machine's second core adds anything to a GEMM at all.\n")
    emit("| batch | sanenet fit | sanenet step | libtorch fit | PyTorch fit | dlib step | OpenBLAS, the step's GEMMs |")
    emit("|---:|---:|---:|---:|---:|---:|---:|")

    def scale(system, case, batch):
        return ratio(res.r(system, case, batch, 2), res.r(system, case, batch, 1)) if system else None

    for batch in (1, 8, 32, 128):
        blas = ratio(median(res.blas_threads.get(("step GEMMs", batch, 2), [])),
                     median(res.blas_threads.get(("step GEMMs", batch, 1), [])))
        cells = [scale(b.system, "fit", batch), scale(b.system, "train", batch), scale(b.libtorch, "fit", batch),
                 scale(b.pytorch, "fit", batch), scale(b.dlib, "train", batch), blas]
        if any(c is not None for c in cells):
            emit(f"| {batch} | " + " | ".join(fmt(c, ".2f") + "x" * (c is not None) for c in cells) + " |")
    sq = [median(res.blas_threads.get(("square 1024", 0, t), [])) for t in (1, 2)]
    if all(sq):
        emit(f"\nOpenBLAS 1024^3: {sq[0]:.1f} GFLOP/s on 1 thread, {sq[1]:.1f} on 2 ({sq[1] / sq[0]:.2f}x).")
    if res.core_to_core:
        trip = median([t for t, _ in res.core_to_core])
        fj = median([f for _, f in res.core_to_core])
        emit(f"\nSharing between the cores: a cache line's round trip between two threads takes {trip:.0f} ns "
             f"({trip / 2:.0f} ns each way); a fork-join of "
             f"sanenet's pool, 8 empty tasks on 2 threads, {fj:.2f} us. A step passes every activation, gradient "
             "and updated weight between the threads' cores.")
    emit("\n`sn::fit` with `threads = 0` (the default) times its first 16 full-batch steps alternately on one thread and on "
         "all, and keeps the faster; the columns above are fits with 1 and 2 threads fixed.")
    emit("")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    ap.add_argument("--no-write", action="store_true", help="print only, do not rewrite docs/benchmarks.md")
    args = ap.parse_args()
    started = time.monotonic()

    def binary(name):
        path = os.path.join(args.build, "bench", name)
        return path if os.path.exists(path) else None

    perf = binary("perf")
    if not perf:
        sys.exit(f"run.py: {os.path.join(args.build, 'bench', 'perf')} is not built (make bench builds it)")
    avx512 = cpu_has("avx512f")
    arch = "avx512" if avx512 else "avx2"
    perf_avx2 = binary("perf_avx2") if avx512 else None
    dlib, libtorch = binary("dlib_mlp"), binary("torch_mlp")
    eigen, eigen_avx2 = binary("eigen_predict"), binary("eigen_predict_avx2") if avx512 else None
    missing = [n for n, p in (("dlib_mlp (libdlib-dev)", dlib), ("torch_mlp (libtorch-dev)", libtorch),
                              ("eigen_predict (libeigen3-dev)", eigen)) if not p]
    if avx512 and not perf_avx2:
        missing.append("perf_avx2")
    for m in missing:
        print(f"run.py: {m} is not built: its figures are reported as not measured", file=sys.stderr)

    # Debian's OpenBLAS 0.3.21 does not recognise recent AVX-512 CPUs and falls back to its
    # Haswell (AVX2) kernels: force its AVX-512 ones there, for OpenBLAS itself and for the
    # anchors that call it (dlib, libtorch, PyTorch). Elsewhere (AVX2 only) SkylakeX would be an
    # illegal instruction, and its own detection is the fast setting. The programs set OpenBLAS's
    # thread count themselves (openblas_set_num_threads) case by case.
    native_blas = {"OPENBLAS_CORETYPE": "SkylakeX"} if avx512 else {}
    # The AVX2 build's comparison on an AVX-512 machine: the anchors as they run on an AVX2
    # machine, i.e. OpenBLAS's Haswell kernels, ATen's AVX2 kernels, oneDNN up to AVX2.
    avx2_env = {"OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2", "DNNL_MAX_CPU_ISA": "AVX2"}
    one_thread = {"OPENBLAS_NUM_THREADS": "1"}

    builds = [Build("native", perf, f"`perf`: `-march=native`", "sanenet", libtorch and "libtorch", "pytorch",
                    dlib and "dlib", eigen and "eigen", {**one_thread, **native_blas},
                    "`OPENBLAS_CORETYPE=SkylakeX`, its AVX-512 kernels" if avx512 else "its own detection")]
    if perf_avx2:
        builds.append(Build("avx2", perf_avx2, "`perf_avx2`: `-mavx2 -mfma`", "sanenet_avx2", libtorch and "libtorch_avx2",
                            "pytorch_avx2", None, eigen_avx2 and "eigen_avx2", {**one_thread, "OPENBLAS_CORETYPE": "Haswell"},
                            "`OPENBLAS_CORETYPE=Haswell`, what an AVX2 machine runs"))
    for b in builds:
        b.gemm = run_json([b.binary, "gemm"], b.gemm_env)

    torch_py = os.path.join(ROOT, "bench", "torch_mlp.py")
    # The torch anchors on 2 threads run at 0.3-4k samples/s here (their OpenMP and OpenBLAS
    # threads spin against each other): only batches 32 and 128, on 6000 samples and one epoch of
    # 6000 rows, so that `make bench` stays near 20 minutes.
    anchors_2t = ["--threads", "2", "--batch", "32", "128", "--samples", "6000", "--fit-samples", "6000"]
    jobs = [("sanenet", [perf, "train"], {**one_thread, **native_blas}),
            ("pytorch", [TORCH_PYTHON, torch_py, "--threads", "1", "--latency"], native_blas),
            ("pytorch", [TORCH_PYTHON, torch_py] + anchors_2t, native_blas),
            ("monitors", [perf, "monitors"], {**one_thread, **native_blas}),
            ("openblas", [perf, "blas-threads"], native_blas)]
    if perf_avx2:
        # The AVX2 build's anchors: only what its targets need (fit at 32 and 128, the step at 1).
        jobs += [("sanenet_avx2", [perf_avx2, "train"], one_thread),
                 ("pytorch_avx2", [TORCH_PYTHON, torch_py, "--batch", "1", "32", "128", "--threads", "1"], avx2_env)]
        if libtorch:
            jobs.append(("libtorch_avx2", [libtorch, "--batch", "1", "32", "128", "--threads", "1", "--cases", "train,fit"],
                         avx2_env))
        if eigen_avx2:
            jobs.append(("eigen_avx2", [eigen_avx2], {}))
    if libtorch:
        jobs += [("libtorch", [libtorch, "--threads", "1"], native_blas), ("libtorch", [libtorch] + anchors_2t, native_blas)]
    if dlib:
        jobs.append(("dlib", [dlib], native_blas))
    if eigen:
        jobs.append(("eigen", [eigen], {}))

    res = Results()
    for r in range(args.rounds):
        # Rotate the order so that no program always runs first (or last) in a round.
        for system, cmd, env in jobs[r % len(jobs):] + jobs[:r % len(jobs)]:
            res.add(system, run_json(cmd, env))
    rss = run_json([perf, "rss-train"]) + run_json([perf, "rss-predict"])
    minutes = (time.monotonic() - started) / 60

    lines = []
    emit = lines.append
    title = "AVX-512" if avx512 else "AVX2 (no AVX-512)"
    b0 = builds[0]
    begin, end = markers(arch)
    emit(begin)
    emit(f"## {title}: {cpu_name()}, {os.cpu_count()} cores, {datetime.date.today().isoformat()}\n")
    emit(f"`bench/run.py --rounds {args.rounds}` (`make bench`), {minutes:.0f} minutes. Medians over the rounds; every "
         "program below runs once per round, in an order that rotates, on the same machine in the same session. "
         "The machine is shared: absolute numbers move from run to run, the ratios much less. sanenet: " +
         " and ".join(b.title for b in builds) + ". Anchors: " +
         ", ".join(name for name, built in (("libtorch 1.13 C++ (`bench/torch_mlp.cpp`)", libtorch),
                                            ("PyTorch 1.13 (`bench/torch_mlp.py`)", True),
                                            ("dlib 19.24 (`bench/dlib_mlp.cpp`)", dlib),
                                            ("a hand-written Eigen 3.4 chain (`bench/eigen_predict.cpp`)", eigen)) if built) +
         "; each sets its thread count and OpenBLAS's" +
         ("; not built, so not measured: " + ", ".join(missing) if missing else "") + ". " +
         ("The anchors run with OpenBLAS's AVX-512 kernels (`OPENBLAS_CORETYPE=SkylakeX`) against the native "
          "build; against the AVX2 build, with `OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 "
          "DNNL_MAX_CPU_ISA=AVX2` (the cases its targets need). " if perf_avx2 else "") +
         "SGD with momentum 0.9 and learning rate 0.01 everywhere, but 0.001 at batch 1 (0.01 diverges there: "
         "`sn::fit` stops with L6.1). Batch 1 trains on 20000 samples (sanenet's step) or 6000 (the anchors' step) "
         "and one epoch of 6000 rows (fit); the other batches on 60000, but libtorch and PyTorch on 2 threads: "
         "there they run at 0.3-4k samples/s (their OpenMP and OpenBLAS threads spin against each other), so they "
         "are measured at batch 32 and 128 only, on 6000 samples and one epoch of 6000 rows.\n")
    emit("### Targets (issue 17, and the earlier performance issue's that it does not supersede)\n")
    tables = [targets(b, res) for b in builds]
    emit("| target |" + "".join(f" {b.title.split(':')[0]} | |" for b in builds))
    emit("|---|" + "---|---|" * len(builds))
    for i, (name, _, _) in enumerate(tables[0]):
        emit(f"| {name} | " + " | ".join(f"{t[i][1]} | {t[i][2]}" for t in tables) + " |")
    emit("")
    for b in builds:
        emit(f"### {b.title}\n")
        emit("#### GEMM kernels against OpenBLAS (1 thread)\n")
        gemm_table(b, emit)
        emit("#### Training step (samples/s), MLP 784-256-128-10, SGD + momentum\n")
        step_table(b, res, emit)
        emit("#### `sn::fit` end to end (samples/s)\n")
        fit_table(b, res, emit)
        emit("#### predict_one latency (784-256-128-10)\n")
        latency_table(b, res, emit)
    emit("### Two threads\n")
    two_threads(b0, res, emit)
    if res.monitor:
        on = median([m["fit_seconds_monitors_on"] for m in res.monitor])
        off = median([m["fit_seconds_monitors_off"] for m in res.monitor])
        emit("### Cost of fit's monitors\n")
        emit(f"One epoch of the MLP on 60000 Fashion-MNIST samples, batch 32, SGD, 1 thread: "
             f"{on:.3f} s with `FitOptions::monitor = true` (the default), {off:.3f} s without: "
             f"{100 * (on / off - 1):+.1f}%.\n")
    emit("### Peak memory (RSS)\n")
    for r in rss:
        emit(f"- {r['what']}: {r['mib']:.1f} MiB")
    emit("")
    emit(end)
    section = "\n".join(lines)
    print(section)
    print(f"run.py: {minutes:.1f} minutes", file=sys.stderr)

    if not args.no_write:
        old = open(args.out).read() if os.path.exists(args.out) else ""

        def part(b, e):
            return old[old.index(b):old.index(e) + len(e)] if b in old and e in old else None

        text = ["# Benchmarks\n",
                "Written by `make bench` (`bench/run.py`): one section per architecture measured, each from one run on "
                "one machine, named with its date. A run rewrites its own architecture's section and keeps the "
                "others. On an AVX-512 machine the run also measures sanenet built for AVX2 (`-mavx2 -mfma`), in "
                "the same rounds.\n"]
        for a in ARCHES:
            s = section if a == arch else part(*markers(a))
            if s:
                text.append(s + "\n")
        cc = part(*COMPILE_COST)
        if cc:
            text.append(cc + "\n")
        with open(args.out, "w") as f:
            f.write("\n".join(text))
        print(f"run.py: wrote the {arch} section of {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
