// sanenet's performance benchmark, the C++ side: the GEMM kernels against OpenBLAS's
// cblas_sgemm at the MLP's shapes and at 1024^3 (interleaved, same process), training
// throughput of the 784-256-128-10 MLP with SGD + momentum (the engine's step alone, and
// sn::fit end to end), predict_one latency, the cost of fit's monitors, OpenBLAS on 1 and 2
// threads, and peak memory. Prints one JSON object per measurement; bench/run.py runs it with
// the anchors and writes the tables (docs/benchmarks.md). CMake builds it as `perf` with the
// machine's flags and, on an AVX-512 machine, as `perf_avx2` with -mavx2 -mfma.
// Modes: all (the default), gemm, train, monitors, blas-threads, rss-train, rss-predict;
// `train-one BATCH THREADS`, `fit-one BATCH THREADS` and `predict-one` (fp32 and bf16, interleaved) run
// one case alone, to profile it (perf record -e cpu-clock ...).
#include <sanenet/sanenet.hpp>

#include <cblas.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern "C" void openblas_set_num_threads(int);
extern "C" char* openblas_get_corename(void);

namespace sn = sanenet;
using clk = std::chrono::steady_clock;

using Net = sn::Network<sn::Classification<10>, sn::Input<784>, sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<10>, sn::Softmax>;

namespace {

double seconds_since(clk::time_point t0) { return std::chrono::duration<double>(clk::now() - t0).count(); }

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

std::vector<float> random_vector(std::size_t n, std::uint64_t seed) {
    sn::kernels::rng r(seed);
    std::vector<float> v(n);
    for (auto& x : v) x = static_cast<float>(r.normal());
    return v;
}

// One GEMM as the MLP uses it: C[m x n] = op(A)[m x k] op(B)[k x n], row-major.
struct shape {
    const char* name;
    int m, n, k;
    bool ta, tb;
};

// SGD's learning rate at this batch, the same in every program of the benchmark: 0.01, but 0.001
// at batch 1, where 0.01 with momentum 0.9 diverges (sn::fit stops in its first epoch with L6.1).
float learning_rate(int batch) { return batch == 1 ? 0.001f : 0.01f; }

// Runs f until at least `min_seconds` have passed; returns seconds per call.
template <class F>
double time_per_call(F&& f, double min_seconds) {
    f();
    int reps = 1;
    for (;;) {
        const auto t0 = clk::now();
        for (int i = 0; i < reps; ++i) f();
        const double s = seconds_since(t0);
        if (s >= min_seconds) return s / reps;
        reps *= 2;
    }
}

void bench_gemm(const shape& s, int batch, int rounds) {
    const auto A = random_vector(static_cast<std::size_t>(s.m) * s.k, 1),
               B = random_vector(static_cast<std::size_t>(s.k) * s.n, 2);
    std::vector<float> C(static_cast<std::size_t>(s.m) * s.n);
    const sn::kernels::operand a = s.ta ? sn::kernels::transposed(A.data(), s.m) : sn::kernels::row_major(A.data(), s.k);
    const sn::kernels::operand b = s.tb ? sn::kernels::transposed(B.data(), s.k) : sn::kernels::row_major(B.data(), s.n);
    std::vector<double> ours, blas;
    for (int r = 0; r < rounds; ++r) {
        ours.push_back(time_per_call([&] { sn::kernels::gemm(s.m, s.n, s.k, a, b, C.data(), s.n, {}, false, 1); }, 0.02));
        blas.push_back(time_per_call(
            [&] {
                cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans, s.m, s.n, s.k, 1.f,
                            A.data(), s.ta ? s.m : s.k, B.data(), s.tb ? s.k : s.n, 0.f, C.data(), s.n);
            },
            0.02));
    }
    const double flops = 2.0 * s.m * s.n * s.k;
    std::printf(
        "{\"case\": \"gemm\", \"shape\": \"%s\", \"batch\": %d, \"m\": %d, \"n\": %d, \"k\": %d, \"sanenet_gflops\": %.2f, "
        "\"openblas_gflops\": %.2f}\n",
        s.name, batch, s.m, s.n, s.k, flops / median(ours) * 1e-9, flops / median(blas) * 1e-9);
    std::fflush(stdout);
}

// The 8 GEMMs of one training step of the MLP at this batch.
std::vector<shape> step_shapes(int b) {
    return {{"fwd 784->256", b, 256, 784, false, false}, {"fwd 256->128", b, 128, 256, false, false},
            {"fwd 128->10", b, 10, 128, false, false},   {"dW 784x256", 784, 256, b, true, false},
            {"dW 256x128", 256, 128, b, true, false},    {"dW 128x10", 128, 10, b, true, false},
            {"dX 128->256", b, 256, 128, false, true},   {"dX 10->128", b, 128, 10, false, true}};
}

// GEMMs through OpenBLAS, one after the other, each on its own buffers (a step's 8: step_shapes).
struct blas_gemms {
    std::vector<shape> shapes;
    std::vector<std::vector<float>> a, b, c;
    explicit blas_gemms(std::vector<shape> list) : shapes(std::move(list)) {
        for (const shape& s : shapes) {
            a.push_back(random_vector(static_cast<std::size_t>(s.m) * s.k, 3));
            b.push_back(random_vector(static_cast<std::size_t>(s.k) * s.n, 4));
            c.emplace_back(static_cast<std::size_t>(s.m) * s.n);
        }
    }
    void run() {
        for (std::size_t i = 0; i < shapes.size(); ++i) {
            const shape& s = shapes[i];
            cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans, s.m, s.n, s.k, 1.f,
                        a[i].data(), s.ta ? s.m : s.k, b[i].data(), s.tb ? s.k : s.n, 0.f, c[i].data(), s.n);
        }
    }
};

// Samples/s if a step cost only OpenBLAS's 8 GEMMs.
void bench_step_bound(int batch) {
    blas_gemms g(step_shapes(batch));
    const double t = time_per_call([&] { g.run(); }, 0.2);
    std::printf("{\"case\": \"openblas_step_bound\", \"batch\": %d, \"samples_per_s\": %.1f}\n", batch, batch / t);
    std::fflush(stdout);
}

// OpenBLAS on 1 and 2 threads (openblas_set_num_threads), interleaved: the step's 8 GEMMs at
// batch 32 and 128, and 1024^3. Whether the machine's second core adds anything to a GEMM.
void bench_blas_threads(int rounds) {
    for (int batch : {32, 128, 0}) {
        blas_gemms g(batch ? step_shapes(batch) : std::vector<shape>{{"square 1024", 1024, 1024, 1024, false, false}});
        std::vector<double> t[2];
        for (int r = 0; r < rounds; ++r)
            for (int threads : {1, 2}) {
                openblas_set_num_threads(threads);
                t[threads - 1].push_back(time_per_call([&] { g.run(); }, 0.1));
            }
        openblas_set_num_threads(1);
        for (int threads : {1, 2})
            if (batch)
                std::printf(
                    "{\"case\": \"openblas_threads\", \"what\": \"step GEMMs\", \"batch\": %d, \"threads\": %d, "
                    "\"samples_per_s\": %.1f}\n",
                    batch, threads, batch / median(t[threads - 1]));
            else
                std::printf(
                    "{\"case\": \"openblas_threads\", \"what\": \"square 1024\", \"batch\": 0, \"threads\": %d, "
                    "\"gflops\": %.2f}\n",
                    threads, 2.0 * 1024 * 1024 * 1024 / median(t[threads - 1]) * 1e-9);
        std::fflush(stdout);
    }
}

// What sharing data between the two cores costs on this machine: the round trip of one cache
// line between two threads spinning on it (each write must fetch the line from the other
// core), and a fork-join of sanenet's pool with 8 empty tasks (a GEMM's dispatch without its
// work). A step at batch 32 has about ten fork-joins and passes every activation and gradient
// from core to core.
void bench_core_to_core(int rounds) {
    const int trips = 20000;
    std::vector<double> round_trip, fork_join;
    for (int r = 0; r < rounds; ++r) {
        alignas(64) std::atomic<int> line{0};
        std::thread other([&] {
            for (int i = 0; i < trips; ++i) {
                while (line.load(std::memory_order_acquire) != 2 * i + 1) {}
                line.store(2 * i + 2, std::memory_order_release);
            }
        });
        const auto t0 = clk::now();
        for (int i = 0; i < trips; ++i) {
            line.store(2 * i + 1, std::memory_order_release);
            while (line.load(std::memory_order_acquire) != 2 * i + 2) {}
        }
        round_trip.push_back(seconds_since(t0) / trips * 1e9);
        other.join();
        std::atomic<int> sink{0};
        fork_join.push_back(time_per_call(
                                [&] {
                                    sn::kernels::thread_pool::instance().run(
                                        2, 8, [](void* c, int t) { static_cast<std::atomic<int>*>(c)->fetch_add(t); }, &sink);
                                },
                                0.05) *
                            1e6);
    }
    std::printf("{\"case\": \"core_to_core\", \"round_trip_ns\": %.0f, \"fork_join_us\": %.2f}\n", median(round_trip),
                median(fork_join));
    std::fflush(stdout);
}

struct fashion {
    sn::matrix x;
    sn::labels y;
};

fashion load(std::size_t limit) {
    auto d = sn::data::fashion_mnist("/usr/share/datasets/fashion-mnist", "train", limit);
    std::vector<std::size_t> pixels(784);
    std::iota(pixels.begin(), pixels.end(), std::size_t{0});
    sn::Standardizer s;
    s.fit(d.x, {pixels});
    return {s.transform(d.x), d.y};
}

// Training steps through the engine directly (no validation, no lints): the kernels' speed.
void bench_train(const fashion& d, int batch, int threads, std::size_t samples) {
    Net net{sn::Seed{1}};
    sn::detail::trainer tr(net.engine(), sn::SGD{.learning_rate = learning_rate(batch), .momentum = 0.9f},
                           static_cast<std::size_t>(batch), threads, 1);
    sn::kernels::scoped_flush_denormals ftz;
    const std::size_t n = d.x.shape()[0], b = static_cast<std::size_t>(batch);
    std::size_t cursor = 0;
    auto step = [&] {
        for (std::size_t r = 0; r < b; ++r, cursor = (cursor + 1) % n) {
            std::memcpy(tr.input() + r * 784, d.x.data() + cursor * 784, 784 * sizeof(float));
            tr.target_labels()[r] = d.y(cursor);
        }
        tr.step(b);
    };
    for (int i = 0; i < 50; ++i) step();
    const std::size_t steps = std::max<std::size_t>(1, samples / b);
    const auto t0 = clk::now();
    for (std::size_t i = 0; i < steps; ++i) step();
    std::printf(
        "{\"system\": \"sanenet\", \"case\": \"train\", \"batch\": %d, \"threads\": %d, \"samples\": %zu, "
        "\"samples_per_s\": %.1f}\n",
        batch, threads, steps * b, static_cast<double>(steps * b) / seconds_since(t0));
    std::fflush(stdout);
}

// sn::fit end to end, as a user calls it: one epoch over the first `rows` rows, the options a
// user writes (SGD, the batch, the threads, no progress line; validation waived, as the
// anchors validate nothing either), everything else default: shuffling, the data lints, the
// monitors. The network is built before the clock starts, as the anchors' models are.
void bench_fit(const fashion& d, int batch, int threads, std::size_t rows) {
    rows = std::min(rows, d.x.shape()[0]);
    sn::matrix head_x;
    sn::labels head_y;
    if (rows < d.x.shape()[0]) {
        head_x = sn::matrix::from_shape({rows, d.x.shape()[1]});
        head_y = sn::labels::from_shape({rows});
        std::copy_n(d.x.data(), head_x.size(), head_x.data());
        std::copy_n(d.y.data(), rows, head_y.data());
    }
    const sn::matrix& x = rows < d.x.shape()[0] ? head_x : d.x;
    const sn::labels& y = rows < d.x.shape()[0] ? head_y : d.y;
    Net net{sn::Seed{1}};
    sn::FitOptions o;
    o.epochs = 1;
    o.batch_size = static_cast<std::size_t>(batch);
    o.optimizer = sn::SGD{.learning_rate = learning_rate(batch), .momentum = 0.9f};
    o.threads = threads;
    o.progress = false;
    o.allow = sn::allow<sn::lint::NoValidation>();
    const auto t0 = clk::now();
    const sn::History h = sn::fit(net, x, y, o);
    const double secs = seconds_since(t0);
    std::printf(
        "{\"system\": \"sanenet\", \"case\": \"fit\", \"batch\": %d, \"threads\": %d, \"samples\": %zu, "
        "\"samples_per_s\": %.1f}\n",
        batch, threads, rows, static_cast<double>(rows) / secs);
    std::fflush(stdout);
    const auto loss = h.train_loss();
    std::fprintf(stderr, "perf: fit batch %d threads %d: %zu rows in %.2f s, mean training loss %.4f\n", batch, threads, rows,
                 secs, loss.empty() ? -1.0 : loss.back());
}

// sn::fit with and without its monitors (FitOptions::monitor): their cost.
void bench_monitors(const fashion& d, int rounds) {
    std::vector<double> on, off;
    for (int r = 0; r < rounds; ++r)
        for (bool monitor : {true, false}) {
            Net net{sn::Seed{1}};
            sn::FitOptions o;
            o.epochs = 1;
            o.optimizer = sn::SGD{.learning_rate = 0.01f, .momentum = 0.9f};
            o.progress = false;
            o.monitor = monitor;
            o.threads = 1;
            o.allow = sn::allow<sn::lint::NoValidation>();
            const auto t0 = clk::now();
            sn::fit(net, d.x, d.y, o);
            (monitor ? on : off).push_back(seconds_since(t0));
        }
    std::printf("{\"case\": \"monitor_overhead\", \"fit_seconds_monitors_on\": %.3f, \"fit_seconds_monitors_off\": %.3f}\n",
                median(on), median(off));
    std::fflush(stdout);
}

// predict_one of the fp32 network and of its bf16 quantization (sn::quantize), interleaved in
// blocks (each block warmed first: both sets of weights do not fit this core's L2 at once, and
// a deployment runs one of them), 20 blocks of 1000 timed calls each.
void bench_predict_one() {
    Net net{sn::Seed{1}};
    const sn::QuantizedNetwork q = sn::quantize(net, sn::Precision::bf16);
    const auto x = random_vector(784, 5);
    std::vector<float> out(10);
    std::vector<double> t32, t16;
    const auto block = [&](auto&& call, std::vector<double>& t) {
        for (int i = 0; i < 200; ++i) call();
        for (int i = 0; i < 1000; ++i) {
            const auto t0 = clk::now();
            call();
            t.push_back(seconds_since(t0));
        }
    };
    for (int round = 0; round < 20; ++round) {
        block([&] { net.predict_one(x, out); }, t32);
        block([&] { q.predict_one(x, out); }, t16);
    }
    for (auto* t : {&t32, &t16}) {
        std::sort(t->begin(), t->end());
        std::printf("{\"system\": \"sanenet\", \"case\": \"%s\", \"median_us\": %.3f, \"p99_us\": %.3f}\n",
                    t == &t32 ? "predict_one" : "predict_one_bf16", (*t)[t->size() / 2] * 1e6, (*t)[t->size() * 99 / 100] * 1e6);
    }
    std::fflush(stdout);
}

double peak_rss_mib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "all";
    const int rounds = 3;
    openblas_set_num_threads(1);
    if (mode == "rss-train") {  // the demo's training, alone in its process
        auto d = sn::data::fashion_mnist();
        std::vector<std::size_t> pixels(784);
        std::iota(pixels.begin(), pixels.end(), std::size_t{0});
        sn::Standardizer s;
        s.fit(d.x, {pixels});
        Net net;
        sn::FitOptions o;
        o.epochs = 1;
        o.progress = false;
        o.allow = sn::allow<sn::lint::NoValidation>();
        sn::fit(net, s.transform(d.x), d.y, o);
        std::printf("{\"case\": \"peak_rss\", \"what\": \"demo training, 1 epoch\", \"mib\": %.1f}\n", peak_rss_mib());
        return 0;
    }
    if (mode == "rss-predict") {
        Net net;
        std::vector<float> in(784, 0.5f), out(10);
        for (int i = 0; i < 1000000; ++i) net.predict_one(in, out);
        std::printf("{\"case\": \"peak_rss\", \"what\": \"predict_one x 1e6\", \"mib\": %.1f}\n", peak_rss_mib());
        return 0;
    }
    if (mode == "train-one" || mode == "fit-one" || mode == "predict-one") {  // one case alone, e.g. under perf record
        const int batch = argc > 2 ? std::atoi(argv[2]) : 1, threads = argc > 3 ? std::atoi(argv[3]) : 1;
        if (mode == "predict-one")
            bench_predict_one();
        else if (mode == "fit-one")
            bench_fit(load(60000), batch, threads, batch == 1 ? 6000 : 60000);
        else
            bench_train(load(60000), batch, threads, 20000);
        return 0;
    }
    if (mode == "all" || mode == "gemm") {
        std::printf("{\"case\": \"openblas_core\", \"core\": \"%s\", \"sanenet_arch\": \"%s\"}\n", openblas_get_corename(),
                    sn::kernels::arch_name());
        // 20 ms windows on a shared machine: 3 of them put fwd 784->256 at batch 32 at 0.88 of
        // OpenBLAS in one run, 1.10 in the next; the median of 9 moved 1.04-1.10.
        const int gemm_rounds = 9;
        for (int b : {1, 8, 32, 128, 1024})
            for (const shape& s : step_shapes(b)) bench_gemm(s, b, gemm_rounds);
        bench_gemm({"square 1024", 1024, 1024, 1024, false, false}, 0, gemm_rounds);
        for (int b : {1, 8, 32, 128}) bench_step_bound(b);
    }
    if (mode == "all" || mode == "train") {
        const fashion d = load(60000);
        // Per batch, 1 and 2 threads and the step and fit interleaved: a slow phase of the shared
        // machine lands on all four, not on one thread count. fit: one epoch (6000 rows at batch 1).
        for (int b : {1, 8, 32, 128})
            for (int threads : {1, 2}) {
                bench_train(d, b, threads, b == 1 ? 20000 : 60000);
                bench_fit(d, b, threads, b == 1 ? 6000 : 60000);
            }
        bench_predict_one();
    }
    if (mode == "all" || mode == "monitors") bench_monitors(load(60000), rounds);
    if (mode == "all" || mode == "blas-threads") {
        bench_blas_threads(5);
        if (sn::kernels::pool_threads() > 1) bench_core_to_core(5);
    }
    return 0;
}
