// libtorch C++ anchor for sanenet's benchmark (bench/perf.cpp, bench/torch_mlp.py): the same MLP,
// 784 -> Dropout(0.1) -> Linear 256 -> ReLU -> Dropout(0.1) -> Linear 128 -> ReLU -> Linear 10,
// kaiming_normal_ (fan in, ReLU) weights and zero biases, softmax cross-entropy, SGD lr 0.01
// (0.001 at batch 1) momentum 0.9, on the first N Fashion-MNIST training images standardized with one mean and
// std over all pixels (bench/fashion_gz.hpp). Prints one JSON object per measurement.
//
// Uses Debian's libtorch-dev 1.13 (CPU; its GEMMs go to OpenBLAS through libblas.so.3, its
// element-wise code to OpenMP). "threads" sets both: torch::set_num_threads and
// openblas_set_num_threads (looked up with dlsym; without it OpenBLAS would use every core in
// a "1 thread" run). torch::set_num_interop_threads(1) once, first.
//
// Cases, per batch and thread count:
//   train  the step alone on consecutive slices of the data (as bench/perf.cpp's bench_train and
//          torch_mlp.py's train do): zero_grad, forward, loss, backward, step;
//   fit    the anchor's own epoch loop, timed the way sn::fit is used: per epoch a random
//          permutation (randperm), each batch gathered with index_select, zero_grad, forward,
//          loss, backward, step, the loss read back (loss.item(), as a user's loop logs it),
//          the partial last batch included; samples/s over whole epochs of the first N rows.
// and predict_one: one sample, eval mode, NoGradGuard, forward and softmax; median and p99.
// Gradients are released rather than zeroed (Python's zero_grad(set_to_none=True)), the faster
// of libtorch's two idioms.
//
// Build: cmake with -DSANENET_BUILD_BENCH=ON builds it when find_package(Torch) succeeds.
// Run:   torch_mlp [--batch B...] [--threads T...] [--samples N] [--fit-samples N] [--cases train,fit,predict]
//        (batch 1 uses a tenth of --samples and of --fit-samples)
#include <torch/torch.h>

#include <dlfcn.h>

#include "fashion_gz.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

using clk = std::chrono::steady_clock;

namespace {

double seconds_since(clk::time_point t0) { return std::chrono::duration<double>(clk::now() - t0).count(); }

void set_threads(int n) {
    torch::set_num_threads(n);
    using set_fn = void (*)(int);
    static const auto set = reinterpret_cast<set_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (set)
        set(n);
    else
        std::fprintf(stderr, "torch_mlp: no openblas_set_num_threads: the BLAS threads are not controlled\n");
}

// As bench/perf.cpp: 0.01, but 0.001 at batch 1, where 0.01 with momentum 0.9 diverges.
double learning_rate(int batch) { return batch == 1 ? 0.001 : 0.01; }

torch::nn::Sequential make_model() {
    torch::nn::Sequential m(torch::nn::Dropout(0.1), torch::nn::Linear(784, 256), torch::nn::ReLU(), torch::nn::Dropout(0.1),
                            torch::nn::Linear(256, 128), torch::nn::ReLU(), torch::nn::Linear(128, 10));
    torch::NoGradGuard no_grad;
    for (auto& layer : m->modules(/*include_self=*/false))
        if (auto* linear = layer->as<torch::nn::Linear>()) {
            torch::nn::init::kaiming_normal_(linear->weight, 0, torch::kFanIn, torch::kReLU);
            torch::nn::init::zeros_(linear->bias);
        }
    return m;
}

void release_grads(torch::nn::Sequential& m) {
    for (auto& p : m->parameters()) p.mutable_grad() = torch::Tensor();
}

struct data {
    torch::Tensor x, y;  // n x 784 float, n int64
    std::int64_t n;
};

void print_rate(const char* kind, int batch, int threads, std::int64_t samples, double seconds) {
    std::printf(
        "{\"system\": \"libtorch\", \"case\": \"%s\", \"batch\": %d, \"threads\": %d, \"samples\": %lld, \"samples_per_s\": "
        "%.1f}\n",
        kind, batch, threads, static_cast<long long>(samples), static_cast<double>(samples) / seconds);
    std::fflush(stdout);
}

// The step alone on consecutive slices (no gather), after a 50-step warm-up.
void bench_train(const data& d, int batch, int threads, std::int64_t samples) {
    set_threads(threads);
    torch::manual_seed(1);
    auto m = make_model();
    m->train();
    torch::optim::SGD opt(m->parameters(), torch::optim::SGDOptions(learning_rate(batch)).momentum(0.9));
    const std::int64_t b = batch;
    auto step = [&](std::int64_t i) {
        const std::int64_t s = (i * b) % (d.n - b + 1);
        release_grads(m);
        auto loss = torch::nn::functional::cross_entropy(m->forward(d.x.slice(0, s, s + b)), d.y.slice(0, s, s + b));
        loss.backward();
        opt.step();
    };
    for (std::int64_t i = 0; i < 50; ++i) step(i);
    const std::int64_t steps = std::max<std::int64_t>(1, samples / b);
    const auto t0 = clk::now();
    for (std::int64_t i = 0; i < steps; ++i) step(i);
    print_rate("train", batch, threads, steps * b, seconds_since(t0));
}

// The epoch loop a libtorch user writes, on the first `rows` rows; one epoch, timed whole.
void bench_fit(const data& d, int batch, int threads, std::int64_t rows) {
    set_threads(threads);
    torch::manual_seed(1);
    auto m = make_model();
    torch::optim::SGD opt(m->parameters(), torch::optim::SGDOptions(learning_rate(batch)).momentum(0.9));
    const torch::Tensor x = d.x.slice(0, 0, rows), y = d.y.slice(0, 0, rows);
    const auto t0 = clk::now();
    m->train();
    const auto perm = torch::randperm(rows, torch::kLong);
    double running = 0;
    for (std::int64_t s = 0; s < rows; s += batch) {
        const auto idx = perm.slice(0, s, std::min<std::int64_t>(s + batch, rows));
        const auto xb = x.index_select(0, idx), yb = y.index_select(0, idx);
        release_grads(m);
        auto loss = torch::nn::functional::cross_entropy(m->forward(xb), yb);
        loss.backward();
        opt.step();
        running += loss.item<float>();
    }
    const double secs = seconds_since(t0);
    print_rate("fit", batch, threads, rows, secs);
    std::fprintf(stderr, "torch_mlp: fit batch %d threads %d: %lld rows in %.2f s, mean training loss %.4f\n", batch, threads,
                 static_cast<long long>(rows), secs, running / static_cast<double>((rows + batch - 1) / batch));
}

void bench_predict_one(const data& d) {
    set_threads(1);
    torch::manual_seed(1);
    auto m = make_model();
    m->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor x = d.x.slice(0, 0, 1).clone();
    volatile float sink = 0;
    auto call = [&] {
        const auto p = torch::softmax(m->forward(x), 1);
        sink = p.data_ptr<float>()[0];
    };
    for (int i = 0; i < 1000; ++i) call();
    std::vector<double> t(20000);
    for (auto& v : t) {
        const auto t0 = clk::now();
        call();
        v = seconds_since(t0);
    }
    std::sort(t.begin(), t.end());
    std::printf("{\"system\": \"libtorch\", \"case\": \"predict_one\", \"median_us\": %.3f, \"p99_us\": %.3f}\n",
                t[t.size() / 2] * 1e6, t[t.size() * 99 / 100] * 1e6);
    std::fflush(stdout);
    (void)sink;
}

std::vector<int> int_list(int& i, int argc, char** argv) {
    std::vector<int> v;
    while (i + 1 < argc && argv[i + 1][0] != '-') v.push_back(std::stoi(argv[++i]));
    if (v.empty()) throw std::runtime_error(std::string("missing value after ") + argv[i]);
    return v;
}

}  // namespace

int main(int argc, char** argv) try {
    torch::set_num_interop_threads(1);
    std::vector<int> batches{1, 8, 32, 128}, threads{1, 2};
    std::int64_t samples = 60000, fit_samples = 60000;
    std::string cases = "train,fit,predict", dir = "/usr/share/datasets/fashion-mnist";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--batch")
            batches = int_list(i, argc, argv);
        else if (a == "--threads")
            threads = int_list(i, argc, argv);
        else if (a == "--samples" && i + 1 < argc)
            samples = std::stoll(argv[++i]);
        else if (a == "--fit-samples" && i + 1 < argc)
            fit_samples = std::stoll(argv[++i]);
        else if (a == "--cases" && i + 1 < argc)
            cases = argv[++i];
        else if (a == "--data" && i + 1 < argc)
            dir = argv[++i];
        else {
            std::fprintf(stderr,
                         "usage: %s [--batch B...] [--threads T...] [--samples N] [--fit-samples N] [--cases train,fit,predict] "
                         "[--data DIR]\n",
                         argv[0]);
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    auto rows = bench::load_fashion(dir, 60000);
    data d{torch::from_blob(rows.x.data(), {static_cast<std::int64_t>(rows.n), static_cast<std::int64_t>(rows.pixels)},
                            torch::kFloat32)
               .clone(),
           torch::from_blob(rows.y.data(), {static_cast<std::int64_t>(rows.n)}, torch::kInt64).clone(),
           static_cast<std::int64_t>(rows.n)};
    const auto has = [&](const char* c) { return cases.find(c) != std::string::npos; };
    // Per batch, the thread counts and the two timings interleaved (as perf.cpp runs sanenet's).
    for (int b : batches)
        for (int t : threads) {
            if (has("train")) bench_train(d, b, t, b == 1 ? samples / 10 : samples);
            if (has("fit")) bench_fit(d, b, t, std::min(d.n, b == 1 ? fit_samples / 10 : fit_samples));
        }
    if (has("predict")) bench_predict_one(d);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "torch_mlp: %s\n", e.what());
    return 1;
}
