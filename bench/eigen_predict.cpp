// The Eigen anchor for predict_one (bench/perf.cpp's bench_predict_one): the same
// 784-256-128-10 network written by hand as an Eigen 3 chain, fp32: h1 = relu(W1 x + b1),
// h2 = relu(W2 h1 + b2), p = softmax(W3 h2 + b3), into preallocated vectors (noalias), with
// the weights row-major and column-major (run.py reports the faster). Random weights: what is
// measured is latency. The timing loop is perf.cpp's: 1000 calls to warm up, then 20000 calls
// each timed with steady_clock; median and p99. Prints one JSON object per layout.
//
// Build: cmake with -DSANENET_BUILD_BENCH=ON builds it (and eigen_predict_avx2 on an AVX-512
// machine) when find_package(Eigen3) succeeds (Debian: libeigen3-dev).
#include <Eigen/Dense>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#ifndef EIGEN_PREDICT_BUILD
#define EIGEN_PREDICT_BUILD "native"
#endif

using clk = std::chrono::steady_clock;

namespace {

template <int Order>
struct chain {
    using mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Order>;
    mat w1, w2, w3;
    Eigen::VectorXf b1, b2, b3, h1, h2, out;

    explicit chain(unsigned seed) {
        std::mt19937 gen(seed);
        auto he = [&](int rows, int cols) {
            std::normal_distribution<float> nd(0.f, std::sqrt(2.f / static_cast<float>(cols)));
            mat w(rows, cols);
            for (int r = 0; r < rows; ++r)
                for (int c = 0; c < cols; ++c) w(r, c) = nd(gen);
            return w;
        };
        w1 = he(256, 784);
        w2 = he(128, 256);
        w3 = he(10, 128);
        b1 = Eigen::VectorXf::Constant(256, 0.01f);
        b2 = Eigen::VectorXf::Constant(128, 0.01f);
        b3 = Eigen::VectorXf::Constant(10, 0.01f);
        h1.resize(256);
        h2.resize(128);
        out.resize(10);
    }

    void predict(const Eigen::VectorXf& x) {
        h1.noalias() = w1 * x;
        h1 = (h1 + b1).cwiseMax(0.f);
        h2.noalias() = w2 * h1;
        h2 = (h2 + b2).cwiseMax(0.f);
        out.noalias() = w3 * h2;
        out += b3;
        out = (out.array() - out.maxCoeff()).exp();
        out /= out.sum();
    }
};

template <int Order>
void bench(const char* layout) {
    chain<Order> net(1);
    std::mt19937 gen(5);
    std::normal_distribution<float> nd;
    Eigen::VectorXf x(784);
    for (int i = 0; i < 784; ++i) x(i) = nd(gen);
    volatile float sink = 0;
    for (int i = 0; i < 1000; ++i) net.predict(x);
    std::vector<double> t(20000);
    for (auto& v : t) {
        const auto t0 = clk::now();
        net.predict(x);
        v = std::chrono::duration<double>(clk::now() - t0).count();
    }
    sink = net.out(0);
    std::sort(t.begin(), t.end());
    std::printf(
        "{\"system\": \"eigen\", \"case\": \"predict_one\", \"build\": \"%s\", \"layout\": \"%s\", \"simd\": \"%s\", "
        "\"median_us\": %.3f, \"p99_us\": %.3f}\n",
        EIGEN_PREDICT_BUILD, layout, Eigen::SimdInstructionSetsInUse(), t[t.size() / 2] * 1e6, t[t.size() * 99 / 100] * 1e6);
    std::fflush(stdout);
    (void)sink;
}

}  // namespace

int main() {
    bench<Eigen::RowMajor>("row-major");
    bench<Eigen::ColMajor>("column-major");
    return 0;
}
