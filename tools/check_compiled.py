#!/usr/bin/env python3
"""The compiled mode stays lean (ctest tools.compiled_lean).

A translation unit that uses the whole public API (a network, fit, predict, predict_one,
scalers, early stopping, schedules, checkpoints and resume, save and load, load_any, import_npy,
export_header, quantize, the loaders, Standardizer, the metrics, the plots, the doctor) is compiled
with -DSANENET_COMPILED_LIB -O2, as a user of sanenet::compiled compiles it. Two things must
hold, or the check fails and names the offender:

1. No non-template function of sanenet is compiled in it: every sanenet function the object
   file defines, other than an instantiation of a template (Network<...>, fit<Net>, ...) or a
   destructor, must be trivial (at most --max-bytes of code); a larger one means a body that
   belongs in a SANENET_DEFINITIONS block (core/config.hpp) was left in the declarations.
2. None of the headers that only the definitions need is parsed (--forbid, by file name).

    tools/check_compiled.py --cxx g++ [--flag=...] [--isystem DIR ...]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

USER_TU = r"""
#include <sanenet/sanenet.hpp>
#include <array>
#include <cstdio>
namespace sn = sanenet;
using Net = sn::Network<sn::Classification<3>, sn::Input<4>, sn::Dropout<0.9>, sn::Dense<32, sn::He>, sn::ReLU,
                        sn::Dense<3>, sn::Softmax>;
int main(int argc, char** argv) {
    const char* dir = argc > 1 ? argv[1] : ".";
    sn::matrix x = sn::matrix::from_shape({64, 4});
    sn::labels y = sn::labels::from_shape({64});
    Net net{sn::Seed{1}};
    std::printf("%s", net.summary().c_str());
    sn::Standardizer s;
    s.fit(x);
    const sn::History h = sn::fit(net, s.transform(x), y, sn::FitOptions{.epochs = 1, .batch_size = 8, .progress = false});
    const sn::FitOptions control{.epochs = 2, .batch_size = 8, .validation = sn::Validation{x, y}, .progress = false,
                                 .early_stopping = sn::EarlyStopping{}, .schedule = sn::OneCycleLR{},
                                 .checkpoint = sn::Checkpoint{.path = std::string(dir) + "/run.ckpt"}};
    sn::fit(net, x, y, control);
    const sn::History resumed = sn::resume(net, std::string(dir) + "/run.ckpt", x, y, control);
    const sn::matrix p = net.predict(x);
    float out[3];
    const float in[4] = {0, 1, 2, 3};
    net.predict_one(in, out);
    std::printf("%f %f\n", sn::accuracy(p, y), out[0]);
    std::printf("%s", sn::confusion_matrix(p, y).to_string().c_str());
    net.save(std::string(dir) + "/m.sanenet");
    net.load(std::string(dir) + "/m.sanenet");
    sn::export_npy(net, dir);
    net.attach_input_scaler(s);
    sn::import_npy(net, dir);
    sn::export_header(net, std::string(dir) + "/m.hpp", {.name = "m"});
    const sn::AnyNetwork any = sn::load_any(std::string(dir) + "/m.sanenet");
    const std::array<float, 4> fixed_in{};
    std::array<float, 3> fixed_out{};
    net.predict_one(fixed_in, fixed_out);
    any.predict_one(fixed_in, fixed_out);
    const sn::QuantizedNetwork q = sn::quantize(net, sn::Precision::bf16);
    q.predict_one(fixed_in, fixed_out);
    q.save(std::string(dir) + "/q.sanenet");
    sn::export_header(q, std::string(dir) + "/q.hpp", {.name = "q", .precision = sn::Precision::bf16});
    sn::plot::history_svg(h, std::string(dir) + "/h.svg");
    const auto lr = sn::find_learning_rate(net, x, y, sn::LrOptions{});
    const auto report = sn::doctor(net, x, y, sn::FitOptions{.progress = false});
    const auto table = sn::data::load_csv(std::string(dir) + "/t.csv");
    const auto images = sn::data::load_idx(std::string(dir) + "/i.idx");
    const auto [train, val] = sn::data::split(table.features({.except = {"c"}}), table.labels("c"), {.stratify = true});
    const auto [rtrain, rval] = sn::data::split(x, x, {.validation = 0.5});
    std::printf("%zu %zu %s\n", train.size() + rval.size(), sn::check_data<Net>(val.x, val.y,
                sn::FitOptions{.feature_names = table.feature_names({.except = {"c"}})}).size(), s.constant_report().c_str());
    std::printf("%zu %f %zu %d\n", h.epochs.size(), static_cast<double>(lr.suggested), table.values.shape()[0], resumed.best_epoch);
    return report.findings.empty() && images.size() == 0;
}
"""

# Headers a compiled-mode TU must not parse: only the definitions need them.
FORBIDDEN = ["fstream", "zlib.h", "charconv", "xsimd.hpp", "immintrin.h", "thread", "mutex", "atomic"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cxx", required=True)
    ap.add_argument("--root", default=ROOT)
    ap.add_argument("--flag", action="append", default=[])
    ap.add_argument("--isystem", action="append", default=[])
    ap.add_argument("--max-bytes", type=int, default=256)
    ap.add_argument("--forbid", action="append", default=None, help="a header file name (default: %s)" % FORBIDDEN)
    args = ap.parse_args()
    include = os.path.join(args.root, "include")
    # The compile checks' flags, less -fsyntax-only: this TU is compiled.
    flags = ["-std=c++20", "-O2", "-DSANENET_COMPILED_LIB"] + [f for f in args.flag if f != "-fsyntax-only"] + ["-I", include]
    flags += [f for d in args.isystem if os.path.realpath(d) != os.path.realpath(include) for f in ("-isystem", d)]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        src, obj = (os.path.join(tmp, n) for n in ("user.cpp", "user.o"))
        with open(src, "w") as f:
            f.write(USER_TU)
        # -H lists every header the compiler opens (a __has_include test opens none).
        cmd = [args.cxx] + flags + ["-H", "-c", src, "-o", obj]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode:
            print("check_compiled: the user TU does not compile:\n" + " ".join(cmd) + "\n" + r.stderr[-4000:])
            return 1
        parsed = [line.lstrip(".").strip() for line in r.stderr.splitlines() if re.match(r"^\.+ ", line)]
        for name in args.forbid or FORBIDDEN:
            hits = [p for p in parsed if os.path.basename(p) == name]
            if hits:
                failures.append(f"the compiled-mode TU parses <{name}> ({hits[0]}); only definitions should need it")
        nm = subprocess.run(["nm", "-C", "-S", "--defined-only", obj], stdout=subprocess.PIPE, text=True, check=True)
        checked = 0
        for line in nm.stdout.splitlines():
            parts = line.split(None, 3)
            if len(parts) < 4 or parts[2] not in "TtWw" or "sanenet::" not in parts[3]:
                continue
            size, name = int(parts[1], 16), parts[3]
            checked += 1
            # Destructors are skipped: an aggregate's implicit one (FitOptions, Report) is as
            # large as its members make it, and cannot be moved without losing its moves.
            if size <= args.max_bytes or is_template_code(name) or "::~" in name:
                continue
            failures.append(f"{size} bytes of a non-template sanenet function compiled in the user TU: {name[:200]}")
    if failures:
        print("check_compiled: FAIL\n  " + "\n  ".join(failures))
        return 1
    print(f"check_compiled: ok ({checked} sanenet functions in the user TU, none a non-template body over "
          f"{args.max_bytes} bytes; {', '.join(args.forbid or FORBIDDEN)} not parsed)")
    return 0


def is_template_code(name):
    """Whether a demangled function name belongs to a template instantiation: a '<' in the
    qualified name before its parameter list (Network<...>::predict, fit<...>, a lambda in one)."""
    depth, qualified = 0, ""
    for ch in re.sub(r"\[abi:[^\]]*\]|^decltype\(auto\) ", "", name):
        if ch == "(" and depth == 0:
            break
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        qualified += ch
    qualified = re.sub(r"operator[<>=]+", "operator", qualified)
    return "<" in qualified


if __name__ == "__main__":
    sys.exit(main())
