#!/usr/bin/env python3
"""PyTorch anchor for sanenet's benchmark: the same MLP (784-256-128-10, dropout keep 0.9,
He init, softmax cross-entropy), SGD with momentum 0.9, the same batch sizes and thread
counts, on the same Fashion-MNIST rows (standardized). Prints one JSON object per case.

Run with Debian's /usr/bin/python3 (python3-torch):
    /usr/bin/python3 bench/torch_mlp.py --batch 1 8 32 128 --threads 1 2 --samples 60000
"""
import argparse
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


def train_throughput(x, y, batch, threads, samples, lr=0.01):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    m = model()
    m.train()
    opt = torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9)
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
    return steps * batch / (time.perf_counter() - t0)


def predict_latency(x, repeats=20000):
    torch.set_num_threads(1)
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
    ap.add_argument("--samples", type=int, default=60000, help="samples per measurement (batch 1 uses a tenth)")
    ap.add_argument("--latency", action="store_true", help="also measure batch-1 inference latency")
    args = ap.parse_args()
    x = load_images(f"{args.data}/train-images-idx3-ubyte.gz", 60000)
    y = load_labels(f"{args.data}/train-labels-idx1-ubyte.gz", 60000)
    x = (x - x.mean()) / x.std()
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    for threads in args.threads:
        for batch in args.batch:
            samples = args.samples // 10 if batch == 1 else args.samples
            rate = train_throughput(x, y, batch, threads, samples)
            print(json.dumps({"system": "pytorch", "case": "train", "batch": batch, "threads": threads, "samples_per_s": rate}), flush=True)
    if args.latency:
        med, p99 = predict_latency(x)
        print(json.dumps({"system": "pytorch", "case": "predict_one", "median_us": med * 1e6, "p99_us": p99 * 1e6}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
