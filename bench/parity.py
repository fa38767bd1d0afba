#!/usr/bin/python3
"""`make parity`: sanenet's training runs replayed in PyTorch, case by case.

For each SIMD architecture build of bench/parity.cpp that this CPU can run (parity_sse2,
parity_avx2, parity_avx512 in BUILD/bench), the program trains the oracle's cases
(tests/unit/oracle_cases.hpp) and writes, per case, the layers, optimizer and batching, the
data and the weights before and after. This script rebuilds each network in PyTorch (float32,
one thread) from the same initial weights, trains it on the same batches in the same order
with torch.optim and the loss sanenet documents for the task (torch.nn.functional's mse_loss,
l1_loss, huber_loss with the output weights, cross_entropy with the class weights), and prints the largest
difference between the final parameters (Dense weights and biases, LayerNorm gains and
biases) as a fraction of the largest update. It writes the table
to docs/parity.md and exits with 1 if a case differs by more than --tolerance (1e-3).

Then the other direction (issue 15): for each case of IMPORT_CASES it builds a
torch.nn.Sequential (PyTorch's own initialization), saves its state tensor by tensor in
sn::export_npy's layout (dense<i>_weight.npy is nn.Linear.weight, (out, in)), and has
bench/parity_import.cpp (parity_import_<arch>) load it with sn::import_npy and predict the same
inputs; the worst |sanenet - torch| must be within --import-tolerance (1e-5).

    make parity
    /usr/bin/python3 bench/parity.py --build build
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCHS = {"sse2": ["sse2"], "avx2": ["avx2", "fma"], "avx512": ["avx512f", "avx512bw", "avx512dq", "avx512vl"]}


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def activation(layer):
    name, p = layer["act"], layer["param"]
    return {
        "Identity": lambda: torch.nn.Identity(),
        "ReLU": lambda: torch.nn.ReLU(),
        "LeakyReLU": lambda: torch.nn.LeakyReLU(p),
        "ELU": lambda: torch.nn.ELU(alpha=p),
        "Tanh": lambda: torch.nn.Tanh(),
        "Sigmoid": lambda: torch.nn.Sigmoid(),
        "Softmax": lambda: torch.nn.Softmax(dim=1),
        "GELU": lambda: torch.nn.GELU(),
        "SiLU": lambda: torch.nn.SiLU(),
    }[name]()


def task_loss(task, loss, out, yb):
    """The loss of one batch as torch.nn.functional computes it, with sanenet's weights."""
    if task == "classification":
        w = torch.tensor(loss["class_weights"], dtype=torch.float32) if loss["class_weights"] else None
        if w is not None and float(w[yb.long()].sum()) == 0.0:
            # CrossEntropyLoss(weight) is 0 / 0 = NaN on a batch whose rows all weigh 0; sanenet
            # documents loss 0 and no gradient there (the optimizer still steps).
            return (out * 0.0).sum()
        return torch.nn.functional.cross_entropy(out, yb.long(), weight=w)
    if task == "multilabel":
        return torch.nn.functional.binary_cross_entropy_with_logits(out, yb)
    weighted = bool(loss["output_weights"])
    reduction = "none" if weighted else "mean"  # torch.nn.L1Loss(), HuberLoss(delta=...), MSELoss() unweighted
    if loss["type"] == "mae":
        each = torch.nn.functional.l1_loss(out, yb, reduction=reduction)
    elif loss["type"] == "huber":
        each = torch.nn.functional.huber_loss(out, yb, reduction=reduction, delta=loss["delta"])
    else:
        each = torch.nn.functional.mse_loss(out, yb, reduction=reduction)
    if not weighted:
        return each
    # mean(w_j * l_ij): the (outputs,) weights broadcast over the rows.
    return (each * torch.tensor(loss["output_weights"], dtype=torch.float32)).mean()


# (name, task, layers, dtype): the architectures of bench/parity_import.cpp, in torch terms.
IMPORT_CASES = [
    ("regression", "regression", [("dense", 5, 64), ("ReLU",), ("dense", 64, 64), ("Tanh",), ("dense", 64, 3)], np.float32),
    ("regression_float64", "regression", [("dense", 5, 64), ("ReLU",), ("dense", 64, 64), ("Tanh",), ("dense", 64, 3)], np.float64),
    ("mlp", "classification", [("dense", 784, 256), ("ReLU",), ("dense", 256, 128), ("ReLU",), ("dense", 128, 10)], np.float32),
    ("layernorm", "regression", [("dense", 7, 33), ("norm", 33), ("GELU",), ("dense", 33, 17), ("SiLU",), ("dense", 17, 3)],
     np.float32),
    ("multilabel", "multilabel", [("dense", 9, 24), ("ELU",), ("dense", 24, 24), ("LeakyReLU",), ("dense", 24, 4)], np.float32),
]


def import_case(root, seed, name, task, layers, dtype):
    """Writes root/name/ (the torch model's tensors and x.npy); returns torch's predictions."""
    torch.manual_seed(seed)
    modules, linears, norms = [], [], []
    for layer in layers:
        if layer[0] == "dense":
            linears.append(torch.nn.Linear(layer[1], layer[2]))
            modules.append(linears[-1])
        elif layer[0] == "norm":
            norms.append(torch.nn.LayerNorm(layer[1]))
            with torch.no_grad():  # off their 1 and 0, so that the import has to carry them
                norms[-1].weight.uniform_(0.5, 1.5)
                norms[-1].bias.uniform_(-0.5, 0.5)
            modules.append(norms[-1])
        else:
            modules.append({"ReLU": torch.nn.ReLU(), "Tanh": torch.nn.Tanh(), "GELU": torch.nn.GELU(), "SiLU": torch.nn.SiLU(),
                            "ELU": torch.nn.ELU(), "LeakyReLU": torch.nn.LeakyReLU(0.2)}[layer[0]])
    if task == "classification":
        modules.append(torch.nn.Softmax(dim=1))
    elif task == "multilabel":
        modules.append(torch.nn.Sigmoid())
    model = torch.nn.Sequential(*modules).eval()
    d = os.path.join(root, name)
    os.makedirs(d)
    for stem, mods in (("dense", linears), ("layernorm", norms)):
        for i, m in enumerate(mods):
            np.save(os.path.join(d, f"{stem}{i}_weight.npy"), m.weight.detach().numpy().astype(dtype))
            np.save(os.path.join(d, f"{stem}{i}_bias.npy"), m.bias.detach().numpy().astype(dtype))
    x = torch.randn(256, layers[0][1])
    np.save(os.path.join(d, "x.npy"), x.numpy())
    with torch.no_grad():
        return model(x).numpy()


def import_parity(build, ran, tolerance):
    """Per case, the worst |sanenet - torch| for each architecture build run; and the archs run."""
    results, done = {}, []
    for arch in ran:
        exe = os.path.join(build, "bench", f"parity_import_{arch}")
        if not os.path.exists(exe):
            continue
        with tempfile.TemporaryDirectory(prefix="sanenet_parity_import_") as tmp:
            expected = {c[0]: import_case(tmp, i, *c) for i, c in enumerate(IMPORT_CASES)}
            subprocess.run([exe, tmp], check=True)
            for name, want in expected.items():
                got = np.load(os.path.join(tmp, name, "pred.npy"))
                results.setdefault(name, {})[arch] = float(np.abs(got.astype(np.float64) - want).max())
        done.append(arch)
    return results, done


def load(path):
    return torch.from_numpy(np.load(path).astype(np.float32))


def replay(case_dir):
    """Returns (name, largest |sanenet - torch| / largest |torch update|)."""
    with open(os.path.join(case_dir, "case.json")) as f:
        case = json.load(f)
    task = case["task"]
    layers = case["layers"]
    # Classification and MultiLabel compute the loss from the logits (sanenet fuses the final
    # Softmax / Sigmoid with it, as CrossEntropyLoss and BCEWithLogitsLoss do).
    if task != "regression":
        layers = layers[:-1]
    modules, linears, norms = [], [], []
    for layer in layers:
        if layer["kind"] == "dense":
            lin = torch.nn.Linear(layer["in"], layer["out"])
            i = len(linears)
            with torch.no_grad():
                lin.weight.copy_(load(os.path.join(case_dir, "start", f"dense{i}_weight.npy")))
                lin.bias.copy_(load(os.path.join(case_dir, "start", f"dense{i}_bias.npy")))
            linears.append(lin)
            modules.append(lin)
        elif layer["kind"] == "layer_norm":
            norm = torch.nn.LayerNorm(layer["width"])  # eps 1e-5, biased variance, as sanenet's
            i = len(norms)
            with torch.no_grad():
                norm.weight.copy_(load(os.path.join(case_dir, "start", f"layernorm{i}_weight.npy")))
                norm.bias.copy_(load(os.path.join(case_dir, "start", f"layernorm{i}_bias.npy")))
            norms.append(norm)
            modules.append(norm)
        elif layer["kind"] == "activation":
            modules.append(activation(layer))
        else:
            raise ValueError(f"parity: cannot replay a layer of kind {layer['kind']!r}")
    model = torch.nn.Sequential(*modules)
    # (module, export stem) for every tensor pair compared at the end.
    parametric = [(l, f"dense{i}") for i, l in enumerate(linears)] + [(n, f"layernorm{i}") for i, n in enumerate(norms)]
    start = [(m.weight.detach().clone(), m.bias.detach().clone()) for m, _ in parametric]

    o = case["optimizer"]
    # Weight decay on the Dense weights only: sanenet's Dense biases and LayerNorm gains and
    # biases are not weights (layers/layer.hpp: struct tensor) and take none, for SGD and AdamW.
    weights = [l.weight for l in linears]
    biases = [l.bias for l in linears] + [p for n in norms for p in (n.weight, n.bias)]
    if o["type"] == "sgd":
        opt = torch.optim.SGD([{"params": weights, "weight_decay": o["weight_decay"]}, {"params": biases, "weight_decay": 0.0}],
                              lr=o["lr"], momentum=o["momentum"], nesterov=o["nesterov"])
    elif o["type"] == "adam":
        opt = torch.optim.Adam(weights + biases, lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"])
    else:
        opt = torch.optim.AdamW([{"params": weights, "weight_decay": o["weight_decay"]}, {"params": biases, "weight_decay": 0.0}],
                                lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"])

    x = load(os.path.join(case_dir, "x.npy"))
    y = load(os.path.join(case_dir, "y.npy"))
    n, batch = x.shape[0], case["batch"]

    schedule = Schedule(case, opt, (n + batch - 1) // batch) if "schedule" in case else None
    if schedule and case["validation"]:
        xv, yv = load(os.path.join(case_dir, "xv.npy")), load(os.path.join(case_dir, "yv.npy"))
    rates = []  # the rate of each epoch's last step
    for _ in range(case["epochs"]):
        for b in range(0, n, batch):
            xb, yb = x[b:b + batch], y[b:b + batch]
            opt.zero_grad()
            out = model(xb)
            loss = task_loss(task, case["loss"], out, yb)
            loss.backward()
            if case["clip"] is not None:
                torch.nn.utils.clip_grad_norm_(weights + biases, case["clip"])
            last_rate = opt.param_groups[0]["lr"]
            opt.step()
            if schedule:
                schedule.after_step()
        rates.append(last_rate)
        if schedule:
            val = None
            if case["validation"]:
                with torch.no_grad():
                    val = float(task_loss(task, case["loss"], model(xv), yv))
            schedule.after_epoch(val)

    diff = update = 0.0
    for (module, stem), (w0, b0) in zip(parametric, start):
        for tensor, t0, name in ((module.weight, w0, "weight"), (module.bias, b0, "bias")):
            final = load(os.path.join(case_dir, "final", f"{stem}_{name}.npy"))
            t = tensor.detach()
            diff = max(diff, float((t - final).abs().max()))
            update = max(update, float((t - t0).abs().max()))
    rate_error = None
    if schedule:
        rate_error = max(abs(a - b) / b for a, b in zip(case["rates"], rates))
    return case["name"], (diff / update if update > 0 else float("inf")), rate_error


class Schedule:
    """sanenet's schedule as torch.optim.lr_scheduler objects, stepped where sanenet steps them:
    per batch for OneCycleLR and the warm-up (LinearLR), per epoch for the others; the cosine
    starts after the warm-up."""

    def __init__(self, case, opt, steps_per_epoch):
        s = case["schedule"]
        self.kind, self.opt, self.epochs = s["type"], opt, case["epochs"]
        self.per_batch, self.per_epoch, self.after_warmup, self.steps, self.warmup_steps = None, None, None, 0, 0
        sched = torch.optim.lr_scheduler
        if self.kind == "step":
            self.per_epoch = sched.StepLR(opt, step_size=s["step_epochs"], gamma=s["gamma"])
        elif self.kind == "exponential":
            self.per_epoch = sched.ExponentialLR(opt, gamma=s["gamma"])
        elif self.kind == "one_cycle":
            self.per_batch = sched.OneCycleLR(opt, max_lr=s["max_lr"], epochs=self.epochs, steps_per_epoch=steps_per_epoch,
                                              pct_start=s["pct_start"], anneal_strategy="cos", cycle_momentum=False,
                                              div_factor=25.0, final_div_factor=1e4)
        elif self.kind == "plateau":
            self.per_epoch = sched.ReduceLROnPlateau(opt, mode="min", factor=s["factor"], patience=s["patience"],
                                                     min_lr=s["min_lr"])
        elif self.kind == "cosine":
            warmup = s["warmup_epochs"]

            def cosine():
                if s["restart_epochs"] > 0:
                    return sched.CosineAnnealingWarmRestarts(opt, T_0=s["restart_epochs"], eta_min=s["min_lr"])
                return sched.CosineAnnealingLR(opt, T_max=self.epochs - warmup, eta_min=s["min_lr"])

            if warmup > 0:
                self.warmup_steps = warmup * steps_per_epoch
                self.per_batch = sched.LinearLR(opt, start_factor=1.0 / self.warmup_steps, end_factor=1.0,
                                                total_iters=self.warmup_steps - 1)
                self.after_warmup = cosine
            else:
                self.per_epoch = cosine()
        elif self.kind != "constant":
            raise ValueError(f"parity: unknown schedule {self.kind!r}")

    def after_step(self):
        self.steps += 1
        if self.per_batch and (not self.warmup_steps or self.steps < self.warmup_steps):
            self.per_batch.step()

    def after_epoch(self, val_loss):
        if self.after_warmup and self.steps >= self.warmup_steps:
            self.per_epoch, self.after_warmup = self.after_warmup(), None  # created at the warm-up's end: its epoch 0
            return
        if isinstance(self.per_epoch, torch.optim.lr_scheduler.ReduceLROnPlateau):
            self.per_epoch.step(val_loss)
        elif self.per_epoch:
            self.per_epoch.step()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--tolerance", type=float, default=1e-3)
    ap.add_argument("--rate-tolerance", type=float, default=1e-6, help="of a schedule's rate, relative")
    ap.add_argument("--import-tolerance", type=float, default=1e-5)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "parity.md"))
    ap.add_argument("--no-write", action="store_true", help="print only, do not rewrite docs/parity.md")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)

    flags = cpu_flags()
    results, ran, skipped = {}, [], []
    scheduled, rate_errors = set(), {}  # the schedule cases, and their worst relative error of a rate
    with tempfile.TemporaryDirectory(prefix="sanenet_parity_") as tmp:
        for arch, needs in ARCHS.items():
            exe = os.path.join(args.build, "bench", f"parity_{arch}")
            if not os.path.exists(exe):
                skipped.append(f"{arch} (not built: {exe})")
                continue
            missing = [f for f in needs if f not in flags]
            if missing:
                skipped.append(f"{arch} (this CPU lacks {', '.join(missing)})")
                continue
            out = os.path.join(tmp, arch)
            subprocess.run([exe, out], check=True)
            ran.append(arch)
            for d in sorted(os.listdir(out)):
                name, err, rate_err = replay(os.path.join(out, d))
                results.setdefault(name, {})[arch] = err
                if rate_err is not None:
                    scheduled.add(name)
                    rate_errors[name] = max(rate_errors.get(name, 0.0), rate_err)
    if not ran:
        print("parity: no architecture build could run", file=sys.stderr)
        return 1

    width = max(len(n) for n in results)
    lines = [f"| case | {' | '.join(ran)} |", "|---|" + "---:|" * len(ran)]
    schedule_lines = [f"| schedule case | {' | '.join(ran)} | rates |", "|---|" + "---:|" * (len(ran) + 1)]
    print(f"{'case':<{width}}  " + "  ".join(f"{a:>9}" for a in ran) + "      rates")
    worst = {a: 0.0 for a in ran}
    schedule_worst = {a: 0.0 for a in ran}
    for name, errs in results.items():
        rate = f"  {rate_errors[name]:9.2e}" if name in scheduled else ""
        print(f"{name:<{width}}  " + "  ".join(f"{errs[a]:9.2e}" for a in ran) + rate)
        row = f"| {name} | " + " | ".join(f"{errs[a]:.2e}" for a in ran) + " |"
        if name in scheduled:
            schedule_lines.append(row + f" {rate_errors[name]:.2e} |")
        else:
            lines.append(row)
        for a in ran:
            worst[a] = max(worst[a], errs[a])
            if name in scheduled:
                schedule_worst[a] = max(schedule_worst[a], errs[a])
    lines.append("| **worst** | " + " | ".join(f"**{worst[a]:.2e}**" for a in ran) + " |")
    worst_rate = max(rate_errors.values(), default=0.0)
    schedule_lines.append("| **worst** | " + " | ".join(f"**{schedule_worst[a]:.2e}**" for a in ran) + f" | **{worst_rate:.2e}** |")
    summary = ", ".join(f"{a} {worst[a]:.2e}" for a in ran)
    print(f"parity: {len(results)} cases, worst difference / update: {summary} (tolerance {args.tolerance:g}); "
          f"{len(scheduled)} schedule cases, worst relative error of a rate {worst_rate:.2e} (tolerance {args.rate_tolerance:g})")
    if skipped:
        print("parity: not run: " + "; ".join(skipped))

    imported, import_ran = import_parity(args.build, ran, args.import_tolerance)
    import_lines = []
    import_worst = 0.0
    if import_ran:
        import_lines = [f"| case | {' | '.join(import_ran)} |", "|---|" + "---:|" * len(import_ran)]
        for name, errs in imported.items():
            import_lines.append(f"| {name} | " + " | ".join(f"{errs[a]:.2e}" for a in import_ran) + " |")
            print(f"import {name:<20}  " + "  ".join(f"{errs[a]:9.2e}" for a in import_ran))
            import_worst = max([import_worst] + list(errs.values()))
        print(f"parity: import from PyTorch, worst |sanenet - torch| {import_worst:.2e} (tolerance {args.import_tolerance:g})")
    else:
        print("parity: the import check did not run (parity_import_<arch> not built)")

    if not args.no_write:
        text = [
            "# Parity with PyTorch",
            "",
            "Generated by `make parity` (`bench/parity.py`); do not edit by hand. Each case of the",
            "oracle (`tests/unit/oracle_cases.hpp`) is trained by sanenet, built once per SIMD",
            "architecture, and replayed in PyTorch from the same initial weights on the same batches",
            "(float32, one thread, `torch.optim`, the task's loss or the case's: `mse_loss`, `l1_loss`,",
            "`huber_loss` with output weights, `cross_entropy(weight=...)`). The figure is the largest difference",
            "between the final parameters (Dense weights and biases, LayerNorm gains and biases) as a",
            "fraction of the largest update; the tolerance is",
            f"{args.tolerance:g}. See docs/testing.md for what the cases cover.",
            "",
            f"- date: {datetime.date.today().isoformat()}",
            f"- machine: {cpu_name()}, {os.cpu_count()} cores",
            f"- PyTorch {torch.__version__}, NumPy {np.__version__}, Python {platform.python_version()}",
            f"- architectures run: {', '.join(ran)}" + (f"; not run: {'; '.join(skipped)}" if skipped else ""),
            "",
        ] + lines + [
            "",
            "## Learning-rate schedules",
            "",
            "Each schedule case (`tests/unit/schedule_cases.hpp`) trains under a schedule for several",
            "epochs; PyTorch replays it with `torch.optim.lr_scheduler` (`StepLR`, `ExponentialLR`,",
            "`CosineAnnealingLR`, `CosineAnnealingWarmRestarts`, `LinearLR` for the warm-up, `OneCycleLR`",
            "with `cycle_momentum=False`, `ReduceLROnPlateau` on PyTorch's own validation loss), stepped",
            "per batch or per epoch as sanenet steps it. The architecture columns are the weights, as",
            "above; \"rates\" is the largest relative difference between sanenet's",
            "`EpochRecord::learning_rate` and the rate PyTorch used in the epoch's last step (tolerance",
            f"{args.rate_tolerance:g}).",
            "",
        ] + schedule_lines + [""]
        if import_ran:
            text += [
                "## Import from PyTorch",
                "",
                "The other direction (`bench/parity_import.cpp`): a `torch.nn.Sequential` of each architecture,",
                "with PyTorch's own initialization (LayerNorm gains and biases drawn off 1 and 0), saved tensor by",
                "tensor with `np.save` in `sn::export_npy`'s layout (float32, and float64 for `regression_float64`),",
                "loaded by `sn::import_npy` into the sanenet network of the same architecture; the figure is the",
                "largest |sanenet - torch| over the outputs of 256 random inputs (probabilities for the",
                f"classifier and the multilabel case); the tolerance is {args.import_tolerance:g}.",
                "",
            ] + import_lines + [""]
        with open(args.out, "w") as f:
            f.write("\n".join(text))
        print(f"parity: wrote {args.out}")
    ok = all(w <= args.tolerance for w in worst.values()) and worst_rate <= args.rate_tolerance
    ok = ok and import_worst <= args.import_tolerance
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
