#!/usr/bin/env python3
"""PyTorch anchor for sanenet's benchmark: the same MLP (784-256-128-10, dropout keep 0.9,
He init, softmax cross-entropy), SGD with momentum 0.9 (learning rate 0.01, 0.001 at batch 1), the same batch sizes and thread
counts, on the same Fashion-MNIST rows (standardized). Prints one JSON object per case.

Cases, per batch and thread count (interleaved):
  train  the step alone on consecutive slices of the data (as bench/perf.cpp's bench_train);
  fit    PyTorch's own epoch loop, timed the way sn::fit is used: per epoch torch.randperm,
         each batch gathered with index_select, zero_grad, forward, loss, backward, step, the
         loss read back (loss.item(), as a user's loop logs it), the partial last batch
         included; samples/s over one whole epoch of the first --fit-samples rows.
"threads" sets torch.set_num_threads and OpenBLAS's threads (Debian's torch does its GEMMs in
OpenBLAS, which would otherwise use every core in a "1 thread" run).

Run with Debian's /usr/bin/python3 (python3-torch):
    /usr/bin/python3 bench/torch_mlp.py --batch 1 8 32 128 --threads 1 2 --samples 60000
"""
import argparse
import ctypes
import gzip
import json
import struct
import sys
import time

import numpy as np
import torch


def load_images(path, limit):
    with gzip.open(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        n = min(n, limit)
        data = np.frombuffer(f.read(n * rows * cols), dtype=np.uint8).reshape(n, rows * cols).astype(np.float32)
    return data


def load_labels(path, limit):
    with gzip.open(path, "rb") as f:
        magic, n = struct.unpack(">II", f.read(8))
        n = min(n, limit)
        return np.frombuffer(f.read(n), dtype=np.uint8).astype(np.int64)


def model():
    m = torch.nn.Sequential(
        torch.nn.Dropout(0.1), torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Dropout(0.1), torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    for layer in m:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            torch.nn.init.zeros_(layer.bias)
    return m


def openblas():
    try:
        lib = ctypes.CDLL("libopenblas.so.0")  # the one torch has loaded, if it uses OpenBLAS
        lib.openblas_set_num_threads.argtypes = [ctypes.c_int]
        return lib
    except (OSError, AttributeError):
        print("torch_mlp.py: no OpenBLAS: the BLAS threads are not controlled", file=sys.stderr)
        return None


OPENBLAS = None


def set_threads(threads):
    torch.set_num_threads(threads)
    if OPENBLAS is not None:
        OPENBLAS.openblas_set_num_threads(threads)


def learning_rate(batch):
    """As bench/perf.cpp: 0.01, but 0.001 at batch 1, where 0.01 with momentum 0.9 diverges."""
    return 0.001 if batch == 1 else 0.01


def train_throughput(x, y, batch, threads, samples):
    set_threads(threads)
    torch.manual_seed(1)
    m = model()
    m.train()
    opt = torch.optim.SGD(m.parameters(), lr=learning_rate(batch), momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = x.shape[0]

    def step(i):
        s = (i * batch) % (n - batch + 1)
        xb, yb = x[s:s + batch], y[s:s + batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(m(xb), yb)
        loss.backward()
        opt.step()

    for i in range(50):  # warm-up
        step(i)
    steps = max(1, samples // batch)
    t0 = time.perf_counter()
    for i in range(steps):
        step(i)
    return steps * batch, steps * batch / (time.perf_counter() - t0)


def fit_throughput(x, y, batch, threads, rows):
    """One epoch of the loop a PyTorch user writes, over the first `rows` rows, timed whole."""
    set_threads(threads)
    torch.manual_seed(1)
    m = model()
    opt = torch.optim.SGD(m.parameters(), lr=learning_rate(batch), momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = x[:rows], y[:rows]
    t0 = time.perf_counter()
    m.train()
    perm = torch.randperm(rows)
    running = 0.0
    for s in range(0, rows, batch):
        idx = perm[s:s + batch]
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(m(xb), yb)
        loss.backward()
        opt.step()
        running += loss.item()
    secs = time.perf_counter() - t0
    print(f"torch_mlp.py: fit batch {batch} threads {threads}: {rows} rows in {secs:.2f} s, "
          f"mean training loss {running / ((rows + batch - 1) // batch):.4f}", file=sys.stderr)
    return rows / secs


def predict_latency(x, repeats=20000):
    set_threads(1)
    m = model()
    m.eval()
    times = []
    with torch.no_grad():
        for i in range(repeats):
            xb = x[i % x.shape[0]:i % x.shape[0] + 1]
            t0 = time.perf_counter()
            m(xb)
            times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2], times[len(times) * 99 // 100]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 8, 32, 128])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--samples", type=int, default=60000, help="samples per step measurement (batch 1 uses a tenth)")
    ap.add_argument("--fit-samples", type=int, default=60000, help="rows of the fit epoch (batch 1 uses a tenth)")
    ap.add_argument("--cases", default="train,fit", help="comma-separated: train, fit")
    ap.add_argument("--latency", action="store_true", help="also measure batch-1 inference latency")
    args = ap.parse_args()
    global OPENBLAS
    OPENBLAS = openblas()
    cases = args.cases.split(",")
    x = load_images(f"{args.data}/train-images-idx3-ubyte.gz", 60000)
    y = load_labels(f"{args.data}/train-labels-idx1-ubyte.gz", 60000)
    x = (x - x.mean()) / x.std()
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    for batch in args.batch:
        for threads in args.threads:
            if "train" in cases:
                samples, rate = train_throughput(x, y, batch, threads, args.samples // 10 if batch == 1 else args.samples)
                print(json.dumps({"system": "pytorch", "case": "train", "batch": batch, "threads": threads,
                                  "samples": samples, "samples_per_s": rate}), flush=True)
            if "fit" in cases:
                rows = min(x.shape[0], args.fit_samples // 10 if batch == 1 else args.fit_samples)
                rate = fit_throughput(x, y, batch, threads, rows)
                print(json.dumps({"system": "pytorch", "case": "fit", "batch": batch, "threads": threads,
                                  "samples": rows, "samples_per_s": rate}), flush=True)
    if args.latency:
        med, p99 = predict_latency(x)
        print(json.dumps({"system": "pytorch", "case": "predict_one", "median_us": med * 1e6, "p99_us": p99 * 1e6}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
