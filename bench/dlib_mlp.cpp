// dlib anchor for sanenet's benchmark (bench/perf.cpp, bench/torch_mlp.py): the same MLP,
// 784 -> dropout(0.1) -> 256 ReLU -> dropout(0.1) -> 128 ReLU -> 10, softmax cross-entropy
// (loss_multiclass_log), SGD with momentum 0.9, learning rate 0.01, no weight decay, on the
// first N Fashion-MNIST training images standardized with one mean and std over all pixels.
// Prints one JSON object per measurement on stdout; diagnostics go to stderr.
//
// Uses Debian's libdlib-dev (19.24, CPU only; its DNN GEMMs go to cblas_sgemm, i.e. OpenBLAS
// through the libblas.so.3 alternative). Build (about 15 s; pkg-config already brings libz,
// BLAS, LAPACK, libpng, libjpeg, sqlite3 and pthread; dlsym is in glibc 2.34+, elsewhere add -ldl):
//     g++ -std=c++17 -O2 -march=native bench/dlib_mlp.cpp -o /tmp/dlib_mlp $(pkg-config --cflags --libs dlib-1)
// Run:
//     /tmp/dlib_mlp [--samples N] [--threads T...] [--batch B...] [--seconds S]
//
// Threads. On the CPU, dlib's fc/relu/dropout/softmax/loss code is single-threaded (only
// resize_bilinear and reorg use dlib's default_thread_pool), so the only compute threads are
// OpenBLAS's: "threads" below is the OpenBLAS thread count, set with openblas_set_num_threads
// (looked up with dlsym so the program still runs on the reference BLAS). dnn_trainer always
// runs the steps on its own worker thread: train_one_step() converts the batch to a tensor on
// the calling thread and hands it over through a pipe that holds no job, so at most one
// batch's conversion overlaps the previous step's compute.
//
// Differences from sanenet/PyTorch that the numbers carry: dlib's dropout is not inverted (no
// 1/keep scaling while training; the inference net replaces it with multiply_ by 1 - rate,
// dlib's documented idiom, which costs one scaling pass per dropout layer in predict_one);
// dlib's fc layers start from its own uniform Glorot-like init, not He.
#include <dlib/dnn.h>

#include <dlfcn.h>

#include "fashion_gz.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

using namespace dlib;
using clk = std::chrono::steady_clock;

// Training net: dropout before the first two fc layers.
using train_net = loss_multiclass_log<fc<10, relu<fc<128, dropout<relu<fc<256, dropout<input<matrix<float>>>>>>>>>>;
// Inference net: dlib's idiom, each dropout_ becomes multiply_(1 - drop rate) on assignment.
using infer_net = loss_multiclass_log<fc<10, relu<fc<128, multiply<relu<fc<256, multiply<input<matrix<float>>>>>>>>>>;

namespace {

constexpr float drop_rate = 0.1f;  // sanenet's Dropout<0.9> keeps 0.9

double seconds_since(clk::time_point t0) { return std::chrono::duration<double>(clk::now() - t0).count(); }

// ---- OpenBLAS threads, if the BLAS behind libblas.so.3 is OpenBLAS.
using set_threads_fn = void (*)(int);
using get_threads_fn = int (*)();

bool set_blas_threads(int n) {
    auto set = reinterpret_cast<set_threads_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (!set) return false;
    set(n);
    return true;
}

int get_blas_threads() {
    auto get = reinterpret_cast<get_threads_fn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    return get ? get() : -1;
}

struct dataset {
    std::vector<matrix<float>> x;  // 28 x 28, standardized
    std::vector<unsigned long> y;
};

// The anchors' loader (bench/fashion_gz.hpp): one mean and one std over all pixels of the N images.
dataset load(const std::string& dir, std::size_t limit) {
    const bench::fashion_rows f = bench::load_fashion(dir, limit);
    dataset d;
    d.x.resize(f.n);
    d.y.resize(f.n);
    for (std::size_t i = 0; i < f.n; ++i) {
        d.x[i].set_size(f.rows, f.cols);
        std::copy_n(f.x.data() + i * f.pixels, f.pixels, &d.x[i](0, 0));
        d.y[i] = static_cast<unsigned long>(f.y[i]);
    }
    std::fprintf(stderr, "dlib_mlp: %zu samples, pixel mean %.3f std %.3f\n", f.n, f.mean, f.sd);
    return d;
}

void set_drop_rate(train_net& net, float rate) {
    visit_computational_layers(net, [rate](auto& l) {
        if constexpr (std::is_same_v<std::decay_t<decltype(l)>, dropout_>) l = dropout_(rate);
    });
}

double accuracy(const train_net& trained, const dataset& d, std::size_t n) {
    infer_net net = trained;
    n = std::min(n, d.x.size());
    std::vector<unsigned long> pred(n);
    net(d.x.begin(), d.x.begin() + static_cast<long>(n), pred.begin());
    std::size_t right = 0;
    for (std::size_t i = 0; i < n; ++i) right += pred[i] == d.y[i];
    return static_cast<double>(right) / static_cast<double>(n);
}

// Training throughput with dnn_trainer::train_one_step on consecutive batches.
void bench_train(const dataset& d, int batch, int threads, double min_seconds, train_net* keep) {
    if (!set_blas_threads(threads) && threads != 1)
        std::fprintf(stderr, "dlib_mlp: no openblas_set_num_threads: BLAS threads not controlled\n");
    std::srand(1);
    train_net net;
    set_drop_rate(net, drop_rate);
    dnn_trainer<train_net, sgd> trainer(net, sgd(0, 0.9));  // sgd(weight_decay, momentum)
    trainer.set_learning_rate(0.01);
    trainer.set_learning_rate_shrink_factor(1);  // constant learning rate, like the others
    trainer.be_quiet();

    const std::size_t n = d.x.size(), b = static_cast<std::size_t>(batch);
    if (n < b) throw std::runtime_error("fewer samples than the batch size");
    std::size_t i = 0;
    auto step = [&] {
        const std::size_t s = (i++ * b) % (n - b + 1);
        trainer.train_one_step(d.x.begin() + static_cast<long>(s), d.x.begin() + static_cast<long>(s + b),
                               d.y.begin() + static_cast<long>(s));
    };
    for (int w = 0; w < 20; ++w) step();  // warm-up
    trainer.get_net();  // waits for the trainer thread to finish them
    std::size_t steps = 0;
    const auto t0 = clk::now();
    do {
        for (int k = 0; k < 10; ++k, ++steps) step();
    } while (seconds_since(t0) < min_seconds);
    trainer.get_net();  // the last step has finished
    const double secs = seconds_since(t0);
    std::printf("{\"system\": \"dlib\", \"case\": \"train\", \"batch\": %d, \"threads\": %d, \"samples_per_s\": %.1f}\n", batch,
                threads, static_cast<double>(steps * b) / secs);
    std::fflush(stdout);
    std::fprintf(stderr,
                 "dlib_mlp: batch %d threads %d (openblas reports %d): %zu steps in %.2f s, lr %.3g, average loss %.4f, "
                 "training accuracy on %zu samples %.3f\n",
                 batch, threads, get_blas_threads(), steps, secs, trainer.get_learning_rate(), trainer.get_average_loss(),
                 std::min<std::size_t>(2000, n), accuracy(net, d, 2000));
    if (keep) {
        trainer.get_net().clean();
        *keep = net;
    }
}

template <class F>
void latencies(F&& f, std::vector<double>& t) {
    for (int i = 0; i < 1000; ++i) f();
    for (auto& v : t) {
        const auto t0 = clk::now();
        f();
        v = seconds_since(t0);
    }
    std::sort(t.begin(), t.end());
}

// Batch-1 inference latency: net(x) on one sample of the inference net (dlib's idiom).
void bench_predict_one(const train_net& trained, const dataset& d) {
    set_blas_threads(1);
    infer_net net = trained;
    const matrix<float> x = d.x[0];
    volatile unsigned long sink = 0;
    std::vector<double> t(20000);
    latencies([&] { sink = net(x); }, t);
    std::printf("{\"system\": \"dlib\", \"case\": \"predict_one\", \"median_us\": %.3f, \"p99_us\": %.3f}\n",
                t[t.size() / 2] * 1e6, t[t.size() * 99 / 100] * 1e6);
    std::fflush(stdout);
    const double net_median = t[t.size() / 2];

    // For reference (stderr only): the probabilities, as sanenet's predict_one returns them,
    // from a pre-converted tensor (no to_tensor copy, no argmax).
    resizable_tensor in;
    net.to_tensor(&x, &x + 1, in);
    volatile float fsink = 0;
    latencies(
        [&] {
            const tensor& out = net.subnet().forward(in);
            fsink = out.host()[0];
        },
        t);
    std::vector<double> t2(20000);
    resizable_tensor prob;
    latencies(
        [&] {
            const tensor& out = net.subnet().forward(in);
            prob.copy_size(out);
            tt::softmax(prob, out);
            fsink = prob.host()[0];
        },
        t2);
    std::fprintf(
        stderr,
        "dlib_mlp: predict_one variants: net(x) median %.3f us; forward(tensor) median %.3f us; forward+softmax median %.3f us\n",
        net_median * 1e6, t[t.size() / 2] * 1e6, t2[t2.size() / 2] * 1e6);
    (void)sink;
    (void)fsink;
}

std::vector<int> int_list(int& i, int argc, char** argv) {
    std::vector<int> v;
    while (i + 1 < argc && argv[i + 1][0] != '-') {
        std::string s = argv[++i];
        for (std::size_t p = 0; p <= s.size();) {
            const std::size_t q = std::min(s.find(',', p), s.size());
            if (q > p) v.push_back(std::stoi(s.substr(p, q - p)));
            p = q + 1;
        }
    }
    if (v.empty()) throw std::runtime_error(std::string("missing value after ") + argv[i]);
    return v;
}

}  // namespace

int main(int argc, char** argv) try {
    std::size_t samples = 60000;
    std::vector<int> threads{1, 2}, batches{8, 32, 128};
    double min_seconds = 2.0;
    std::string data = "/usr/share/datasets/fashion-mnist";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--samples" && i + 1 < argc)
            samples = std::stoul(argv[++i]);
        else if (a == "--threads")
            threads = int_list(i, argc, argv);
        else if (a == "--batch")
            batches = int_list(i, argc, argv);
        else if (a == "--seconds" && i + 1 < argc)
            min_seconds = std::stod(argv[++i]);
        else if (a == "--data" && i + 1 < argc)
            data = argv[++i];
        else {
            std::fprintf(stderr,
                         "usage: %s [--samples N] [--threads T...] [--batch B...] [--seconds S] [--data DIR]\n"
                         "  defaults: --samples 60000 --threads 1 2 --batch 8 32 128 --seconds 2\n",
                         argv[0]);
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    const dataset d = load(data, samples);
    train_net trained;
    for (int t : threads)
        for (int b : batches) bench_train(d, b, t, min_seconds, &trained);
    bench_predict_one(trained, d);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "dlib_mlp: %s\n", e.what());
    return 1;
}
