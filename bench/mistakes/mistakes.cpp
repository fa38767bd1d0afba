// The mistake benchmark: does sanenet's run-time checking catch the mistakes of Holden's
// "My Neural Network isn't working! What should I do?" when they actually break training,
// and does it stay quiet on set-ups that careful users write?
//
// Bases: Fashion-MNIST (5000 training images; 600 for the small-data variant), four Gaussian
// blobs read through sensors with their own units (also 200 samples, and 300 with 25% wrong
// labels), a 3-arm spiral (also 300 samples), a two-link arm's forward kinematics, Friedman #1
// (also 200 samples with noise sd 3). Each has clean configurations; each mutation injects one
// realistic mistake. Every run is sn::doctor then sn::fit, both quiet; its findings are the
// doctor's, the History's and the lint error fit throws (a shape_error about labels out of
// range counts as L3.1).
//
// A mutation run is an effective fault when it breaks its base: it misses the base's target
// or is >= 10% worse than the clean reference of the same seed, measured by training it with
// every waivable lint waived and the monitors off when fit refused or stopped it. It is
// effective by definition when even that cannot train (NaN/Inf, batch > samples, labels out
// of range, a loss that becomes non-finite) or when the fault is in the evaluation (missing
// or leaked validation). docs/diagnostics.md describes the protocol and holds the results.
//
//   mistakes [--quick] [--seeds N] [--seed-base B] [--csv PATH] [--jobs N] [--filter TEXT]
//            [--list] [--trace] [--analysis]
#include <sanenet/sanenet.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <numbers>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sn = sanenet;

namespace {

constexpr double pi = std::numbers::pi;
const char* const fashion_dir = "/usr/share/datasets/fashion-mnist";

// ---- Architectures ---------------------------------------------------------------------
// Two hidden layers, dropout before the hidden-to-hidden and the output Dense (not on the
// inputs: the low-dimensional bases cannot lose an input). Widths respect item 11.
// C<K> / R<K>: a classification or regression head of width K.
template <int K>
struct C {
    static constexpr int outputs = K;
    using output_activation = sn::Softmax;
};
template <int K>
struct R {
    static constexpr int outputs = K;
    using output_activation = sn::Identity;
};

template <class T>
struct task_of;
template <int K>
struct task_of<C<K>> {
    using type = sn::Classification<K>;
};
template <int K>
struct task_of<R<K>> {
    using type = sn::Regression;
};

template <class T, int In, int W1, int W2, class Act = sn::ReLU, class Init = sn::He, double Keep = 0.9>
using Net2 = sn::Network<typename task_of<T>::type, sn::Input<In>, sn::Dense<W1, Init>, Act, sn::Dropout<Keep>,
                         sn::Dense<W2, Init>, Act, sn::Dropout<Keep>, sn::Dense<T::outputs>, typename T::output_activation>;

// Fashion-MNIST: the DESIGN.md shape, narrower (the benchmark trains it ~100 times).
using FashionNet = sn::Network<sn::Classification<10>, sn::Input<784>, sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU,
                               sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU, sn::Dense<10>, sn::Softmax>;
using FashionWide = sn::Network<sn::Classification<10>, sn::Input<784>, sn::Dropout<0.8>, sn::Dense<256, sn::He>, sn::ReLU,
                                sn::Dropout<0.8>, sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<10>, sn::Softmax>;

using BlobNet = Net2<C<4>, 10, 64, 64>;
using BlobWide = Net2<C<4>, 10, 1024, 64, sn::ReLU, sn::He, 0.8>;
using BlobElu = Net2<C<4>, 10, 128, 128, sn::ELU, sn::LeCun, 0.9>;
// A deep tanh stack (7 Dense: within item 10's 3-8) for the vanishing-gradient mutation.
using BlobDeepTanh = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dense<64>, sn::Tanh, sn::Dropout<0.9>, sn::Dense<64>,
                                 sn::Tanh, sn::Dense<64>, sn::Tanh, sn::Dense<64>, sn::Tanh, sn::Dense<64>, sn::Tanh,
                                 sn::Dense<64>, sn::Tanh, sn::Dropout<0.9>, sn::Dense<4>, sn::Softmax>;

using SpiralNet = Net2<C<3>, 2, 128, 128>;
using SpiralWide = Net2<C<3>, 2, 256, 256, sn::ReLU, sn::He, 0.8>;
using SpiralTanh = Net2<C<3>, 2, 128, 128, sn::Tanh, sn::LeCun, 0.9>;

using SpiralBigNoReg = sn::Network<sn::Classification<3>, sn::Allow<sn::lint::NoRegularization>, sn::Input<2>,
                                   sn::Dense<512, sn::He>, sn::ReLU, sn::Dense<512, sn::He>, sn::ReLU, sn::Dense<3>, sn::Softmax>;

using FashionBigNoReg =
    sn::Network<sn::Classification<10>, sn::Allow<sn::lint::NoRegularization>, sn::Input<784>, sn::Dense<512, sn::He>, sn::ReLU,
                sn::Dense<256, sn::He>, sn::ReLU, sn::Dense<10>, sn::Softmax>;
using BlobBigNoReg = sn::Network<sn::Classification<4>, sn::Allow<sn::lint::NoRegularization>, sn::Input<10>,
                                 sn::Dense<512, sn::He>, sn::ReLU, sn::Dense<512, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>;

using ArmNet = Net2<R<2>, 2, 128, 128>;
using ArmWide = Net2<R<2>, 2, 1024, 64>;
using ArmElu = Net2<R<2>, 2, 128, 128, sn::ELU, sn::LeCun, 0.9>;

using FriedNet = Net2<R<1>, 10, 128, 128>;
using FriedWide = Net2<R<1>, 10, 256, 256, sn::ReLU, sn::He, 0.8>;
// Item 4's mutation: no regularization (L4.1 waived, as a user silencing the warning does).
using FriedBigNoReg = sn::Network<sn::Regression, sn::Allow<sn::lint::NoRegularization>, sn::Input<10>, sn::Dense<512, sn::He>,
                                  sn::ReLU, sn::Dense<512, sn::He>, sn::ReLU, sn::Dense<1>, sn::Identity>;

// ---- Data --------------------------------------------------------------------------------

template <class Y>
struct Data {
    sn::matrix x, xv, xt;  // train, validation, test inputs
    Y y, yv, yt;
};
using ClsData = Data<sn::labels>;
using RegData = Data<sn::matrix>;

sn::matrix rows_of(const sn::matrix& x, std::size_t a, std::size_t b) { return sn::take_rows(x, a, b); }
sn::labels rows_of(const sn::labels& y, std::size_t a, std::size_t b) { return sn::take_rows(y, a, b); }

// Splits one generated set into train / validation / test.
template <class Y>
Data<Y> split(const sn::matrix& x, const Y& y, std::size_t n_train, std::size_t n_val) {
    const std::size_t n = x.shape()[0];
    return {rows_of(x, 0, n_train), rows_of(x, n_train, n_train + n_val), rows_of(x, n_train + n_val, n),
            rows_of(y, 0, n_train), rows_of(y, n_train, n_train + n_val), rows_of(y, n_train + n_val, n)};
}

// Applies f(matrix&) to the three input splits / the three target splits.
template <class Y, class F>
Data<Y> map_x(Data<Y> d, F f) {
    f(d.x), f(d.xv), f(d.xt);
    return d;
}

// z-score inputs (per feature, fitted on train).
template <class Y>
Data<Y> zscore_x(Data<Y> d) {
    sn::Standardizer s;
    s.fit(d.x);
    d.x = s.transform(d.x), d.xv = s.transform(d.xv), d.xt = s.transform(d.xt);
    return d;
}
RegData zscore_y(RegData d) {
    sn::Standardizer s;
    s.fit(d.y);
    d.y = s.transform(d.y), d.yv = s.transform(d.yv), d.yt = s.transform(d.yt);
    return d;
}
// Min-max scaling to [lo, hi] per feature, fitted on train.
template <class Y>
Data<Y> minmax_x(Data<Y> d, float lo, float hi) {
    const std::size_t cols = d.x.shape()[1];
    std::vector<float> mn(cols, INFINITY), mx(cols, -INFINITY);
    for (std::size_t r = 0; r < d.x.shape()[0]; ++r)
        for (std::size_t c = 0; c < cols; ++c) mn[c] = std::min(mn[c], d.x(r, c)), mx[c] = std::max(mx[c], d.x(r, c));
    auto f = [&](sn::matrix& m) {
        for (std::size_t r = 0; r < m.shape()[0]; ++r)
            for (std::size_t c = 0; c < cols; ++c)
                m(r, c) = mx[c] > mn[c] ? lo + (hi - lo) * (m(r, c) - mn[c]) / (mx[c] - mn[c]) : 0.f;
    };
    return map_x(std::move(d), f);
}

// Fashion-MNIST: 5000 training and 1000 validation images from "train", 2000 test images
// from "t10k"; raw pixels 0..255.
ClsData fashion_raw() {
    const auto all = sn::data::fashion_mnist(fashion_dir, "train", 6000);
    const auto test = sn::data::fashion_mnist(fashion_dir, "t10k", 2000);
    return {sn::take_rows(all.x, 0, 5000), sn::take_rows(all.x, 5000, 6000), test.x,
            sn::take_rows(all.y, 0, 5000), sn::take_rows(all.y, 5000, 6000), test.y};
}

// Four Gaussian blobs in a 10-D latent space, read through sensors with their own units:
// feature j = offset_j + scale_j * latent_j. 2500 train, 500 validation, 1000 test.
constexpr double blob_offset[10] = {0, 20, 100, 1, 0, 350, 5, 0, 40, 2};
constexpr double blob_scale[10] = {1, 5, 30, 0.5, 2, 80, 1, 0.2, 10, 1};
ClsData blobs_raw() {
    sn::kernels::rng r(1001);
    double centers[4][10];
    for (auto& c : centers)
        for (double& v : c) v = 0.9 * r.normal();
    const std::size_t n = 4000;
    sn::matrix x = sn::matrix::from_shape({n, 10});
    sn::labels y = sn::labels::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) {
        const int k = static_cast<int>(r.below(4));
        y(i) = k;
        for (std::size_t j = 0; j < 10; ++j)
            x(i, j) = static_cast<float>(blob_offset[j] + blob_scale[j] * (centers[k][j] + r.normal()));
    }
    return split(x, y, 2500, 500);
}

// A 3-arm spiral of radius 1 m, in metres (`noise` m noise).
ClsData spiral_raw(std::size_t n_train, std::size_t n_val, std::size_t n_test, double noise, std::uint64_t seed) {
    sn::kernels::rng r(seed);
    const std::size_t n = n_train + n_val + n_test;
    sn::matrix x = sn::matrix::from_shape({n, 2});
    sn::labels y = sn::labels::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) {
        const int k = static_cast<int>(r.below(3));
        const double t = 0.05 + 0.95 * r.uniform();
        const double a = 2.5 * pi * t + 2 * pi * k / 3.0;
        y(i) = k;
        x(i, 0) = static_cast<float>(t * std::cos(a) + noise * r.normal());
        x(i, 1) = static_cast<float>(t * std::sin(a) + noise * r.normal());
    }
    return split(x, y, n_train, n_val);
}

// Two-link planar arm (links 1.0 m and 0.7 m): joint angles in degrees -> hand position in
// metres. 4000 train, 500 validation, 1500 test.
RegData arm_raw() {
    sn::kernels::rng r(1003);
    const std::size_t n = 6000;
    sn::matrix x = sn::matrix::from_shape({n, 2}), y = sn::matrix::from_shape({n, 2});
    for (std::size_t i = 0; i < n; ++i) {
        const double q1 = -180 + 360 * r.uniform(), q2 = -180 + 360 * r.uniform();
        const double a1 = q1 * pi / 180, a2 = q2 * pi / 180;
        x(i, 0) = static_cast<float>(q1), x(i, 1) = static_cast<float>(q2);
        y(i, 0) = static_cast<float>(std::cos(a1) + 0.7 * std::cos(a1 + a2));
        y(i, 1) = static_cast<float>(std::sin(a1) + 0.7 * std::sin(a1 + a2));
    }
    return split(x, y, 4000, 500);
}

// Friedman #1: 10 inputs uniform in [0, 1] (5 informative), Gaussian noise of sd `noise`.
RegData friedman_raw(std::size_t n_train, std::size_t n_val, std::size_t n_test, double noise, std::uint64_t seed) {
    sn::kernels::rng r(seed);
    const std::size_t n = n_train + n_val + n_test;
    sn::matrix x = sn::matrix::from_shape({n, 10}), y = sn::matrix::from_shape({n, 1});
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < 10; ++j) x(i, j) = static_cast<float>(r.uniform());
        y(i, 0) = static_cast<float>(10 * std::sin(pi * x(i, 0) * x(i, 1)) + 20 * (x(i, 2) - 0.5) * (x(i, 2) - 0.5) +
                                     10 * x(i, 3) + 5 * x(i, 4) + noise * r.normal());
    }
    return split(x, y, n_train, n_val);
}

// The bases as loaded, once (shared by every run).
struct Bases {
    ClsData fashion, blobs, spiral, spiral_small;
    RegData arm, friedman, friedman_small;
};
const Bases& bases() {
    static const Bases b{fashion_raw(),
                         blobs_raw(),
                         spiral_raw(2400, 600, 1000, 0.04, 1002),
                         spiral_raw(300, 300, 1000, 0.08, 1006),
                         arm_raw(),
                         friedman_raw(4000, 500, 1500, 1.0, 1004),
                         friedman_raw(200, 200, 2000, 3.0, 1005)};
    return b;
}

// The clean preprocessing of each base.
ClsData fashion_clean() {
    return map_x(bases().fashion, [](sn::matrix& m) { m /= 255.f; });
}
ClsData blobs_clean() { return zscore_x(bases().blobs); }
ClsData spiral_clean() { return zscore_x(bases().spiral); }
RegData arm_clean() { return zscore_y(zscore_x(bases().arm)); }
RegData friedman_clean() { return zscore_y(bases().friedman); }
template <class Y>
Data<Y> first_rows(Data<Y> d, std::size_t n) {
    d.x = rows_of(d.x, 0, n), d.y = rows_of(d.y, 0, n);
    return d;
}
ClsData fashion_small_clean() { return first_rows(fashion_clean(), 600); }
// The small training sets are standardized on themselves: they are all the user has.
ClsData blobs_small_clean() { return zscore_x(first_rows(bases().blobs, 200)); }
// 300 samples whose labels are 25% wrong (re-drawn at random), in every split.
ClsData blobs_noisy_clean() {
    ClsData d = zscore_x(first_rows(bases().blobs, 300));
    sn::kernels::rng r(1007);
    for (auto* y : {&d.y, &d.yv, &d.yt})
        for (auto& v : *y)
            if (r.uniform() < 0.25) v = static_cast<std::int32_t>(r.below(4));
    return d;
}
ClsData spiral_small_clean() { return zscore_x(bases().spiral_small); }
RegData friedman_small_clean() { return zscore_y(bases().friedman_small); }

// ---- Runs --------------------------------------------------------------------------------

// How a run trains, besides its data.
struct Config {
    int epochs = 5;
    std::size_t batch = 32;
    sn::Optimizer optimizer = sn::Adam{.learning_rate = 1e-3f};
    std::optional<float> clip = std::nullopt;
    bool validation = true;
};

// Every waivable lint (every bit, so that tags added later are waived too).
constexpr sn::Waivers all_waivers{~std::uint32_t{0}};

struct Outcome {
    std::map<std::string, int> fired;  // lint ID -> worst severity (1 warning, 2 error)
    std::string end = "completed";  // how the detection fit ended
    bool cannot_train = false;  // even with every waiver, training cannot run or diverges
    double metric = std::nan("");  // test accuracy or R^2 (of the waived run if the fit threw)
    double seconds = 0.0;
    std::string note;  // unexpected exceptions
    // For --analysis (how the thresholds of L4.3, L6.1, L2.3 and L9.2 separate clean from broken):
    std::set<std::string> doctor_ids, fit_ids;  // who found what
    std::vector<double> train_loss, val_loss, val_metric;  // the detection fit's epochs
    double loss_at_init = std::nan(""), expected_at_init = 0.0;
    double lr_ratio = std::nan("");  // chosen rate / the range test's largest stable rate
    double trial_initial = std::nan(""), trial_final = std::nan(""), trial_baseline = std::nan("");
    double dead_share = 0.0;  // the largest L8.1 share reported (doctor or fit)
    bool l12_without_near_constant = false;  // L1.2 with features >= 99% one value left out
    bool l13_narrow_only = false;  // L1.3 only for inputs narrower than 256 features
    double signal_ratio = std::nan("");  // RMS of the last / first hidden layer at init
    double trial_1000 = std::nan("");  // the doctor's short run with 1000 steps (when its L2.3 fired)
};

void add(Outcome& o, const std::string& id, sn::Severity s) {
    const int v = s == sn::Severity::error ? 2 : s == sn::Severity::warning ? 1 : 0;
    if (v == 0) return;
    int& slot = o.fired[id];
    slot = std::max(slot, v);
}

// --trace: every run's findings and epochs on stderr (for looking into a misfire or a miss).
bool g_trace = false;
std::mutex g_trace_mutex;
thread_local std::string g_current;

void trace(const std::string& what, const std::vector<sn::Diagnostic>& found, const std::vector<sn::EpochRecord>& epochs) {
    if (!g_trace) return;
    std::lock_guard<std::mutex> lock(g_trace_mutex);
    std::fprintf(stderr, "== %s: %s\n", g_current.c_str(), what.c_str());
    for (const auto& d : found) std::fprintf(stderr, "   %s\n", d.message.c_str());
    for (const auto& e : epochs)
        std::fprintf(stderr, "   epoch %3d  train %.5f  val %.5f  metric %.4f\n", e.epoch, e.train_loss, e.val_loss.value_or(NAN),
                     e.val_metric.value_or(NAN));
}

// The share in an L8.1 message ("62.5% of the units ...").
double dead_share_of(const sn::Diagnostic& d) {
    if (d.id != "L8.1") return 0.0;
    const std::size_t colon = d.message.find(": ");
    return colon == std::string::npos ? 0.0 : std::atof(d.message.c_str() + colon + 2) / 100.0;
}

// What L1.2 and L1.3 would say under the alternative rules of --analysis.
void data_alternatives(Outcome& o, const sn::matrix& x) {
    if (!o.fired.count("L1.2") && !o.fired.count("L1.3")) return;
    const std::size_t n = x.shape()[0], d = x.shape()[1];
    std::vector<float> col(n);
    double lo_range = INFINITY, hi_range = 0;
    int scaled = 0;
    bool constant = false;
    for (std::size_t c = 0; c < d; ++c) {
        for (std::size_t r = 0; r < n; ++r) col[r] = x(r, c);
        std::sort(col.begin(), col.end());
        std::size_t best = 0, run = 0, distinct = 0;
        for (std::size_t r = 0; r < n; ++r) {
            run = r > 0 && col[r] == col[r - 1] ? run + 1 : 1;
            distinct += r == 0 || col[r] != col[r - 1];
            best = std::max(best, run);
        }
        const double range = static_cast<double>(col.back()) - col.front();
        if (range == 0) constant = true;
        if (range == 0 || distinct <= 2 || static_cast<double>(best) >= 0.99 * static_cast<double>(n)) continue;
        ++scaled, lo_range = std::min(lo_range, range), hi_range = std::max(hi_range, range);
    }
    o.l12_without_near_constant = o.fired.count("L1.2") && scaled >= 2 && hi_range / lo_range > 100;
    o.l13_narrow_only = o.fired.count("L1.3") && constant && d < 256;
}

// The RMS of each hidden layer's output at initialization, last over first (dropout off).
double init_signal_ratio(const sn::detail::model& m, const sn::matrix& x) {
    const std::size_t n = std::min<std::size_t>(x.shape()[0], 256);
    std::vector<float> ping(n * static_cast<std::size_t>(m.max_width())), pong(ping.size()),
        out(n * static_cast<std::size_t>(m.output_size()));
    struct state {
        const sn::detail::model* m;
        std::vector<double> rms;
    } st{&m, {}};
    auto visit = [](void* ctx, std::size_t s, const float* y, std::size_t rows) {
        auto& self = *static_cast<state*>(ctx);
        const auto& sg = self.m->stages()[s];
        if (sg.k != sn::detail::kind::dense || s + 1 == self.m->stages().size()) return;
        double sum = 0;
        const std::size_t k = rows * static_cast<std::size_t>(sg.out);
        for (std::size_t i = 0; i < k; ++i) sum += static_cast<double>(y[i]) * y[i];
        self.rms.push_back(std::sqrt(sum / static_cast<double>(k)));
    };
    if (!std::all_of(x.begin(), x.end(), [](float v) { return std::isfinite(v); })) return std::nan("");
    m.infer(x.data(), n, out.data(), ping.data(), pong.data(), 1, true, visit, &st);
    if (st.rms.size() < 2 || !(st.rms.front() > 0)) return std::nan("");
    return st.rms.back() / st.rms.front();
}

namespace tgt {
inline sn::detail::targets of(const sn::labels& y) { return {&y, nullptr}; }
inline sn::detail::targets of(const sn::matrix& y) { return {nullptr, &y}; }
}  // namespace tgt

// The doctor's short run (doctor.hpp's short_run) with a chosen number of steps: the loss
// afterwards on up to 1024 training samples (inference mode), or NaN if it diverged.
template <class Y>
double longer_short_run(sn::detail::model m, const Data<Y>& d, const sn::FitOptions& o, int steps) {
    const sn::detail::targets y = tgt::of(d.y);
    const std::size_t n = d.x.shape()[0], batch = std::min(o.batch_size, n);
    const std::size_t in = static_cast<std::size_t>(m.input_size()), k = static_cast<std::size_t>(m.output_size());
    sn::detail::trainer tr(m, o.optimizer, batch, 1, o.seed);
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    sn::kernels::rng r(o.seed);
    for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[r.below(i)]);
    std::size_t cursor = 0;
    for (int step = 0; step < steps; ++step) {
        for (std::size_t b = 0; b < batch; ++b, cursor = (cursor + 1) % n) {
            const std::size_t src = order[cursor];
            std::memcpy(tr.input() + b * in, d.x.data() + src * in, in * sizeof(float));
            if (y.cls)
                tr.target_labels()[b] = (*y.cls)(src);
            else
                std::memcpy(tr.target_values() + b * k, y.values->data() + src * k, k * sizeof(float));
        }
        if (!std::isfinite(tr.forward_backward(batch))) return std::nan("");
        if (o.clip_grad_norm) tr.clip(*o.clip_grad_norm);
        tr.update();
    }
    return sn::detail::loss_on_sample(m, d.x, y, 1, sn::detail::loss_config{});
}

void record_epochs(Outcome& o, const sn::History& h) {
    for (const auto& e : h.epochs) {
        o.train_loss.push_back(e.train_loss);
        o.val_loss.push_back(e.val_loss.value_or(std::nan("")));
        o.val_metric.push_back(e.val_metric.value_or(std::nan("")));
    }
}

bool label_range_error(const sn::shape_error& e) { return std::strstr(e.what(), "L3.1") != nullptr; }

template <class Net>
using Tamper = std::function<void(Net&, std::uint64_t seed)>;

template <class Net, class Y>
sn::FitOptions fit_options(const Data<Y>& d, const Config& c, std::uint64_t seed, sn::Waivers allow) {
    sn::FitOptions o;
    o.epochs = c.epochs;
    o.batch_size = c.batch;
    o.optimizer = c.optimizer;
    if (c.validation) o.validation = sn::Validation{d.xv, d.yv};
    o.clip_grad_norm = c.clip;
    o.allow = allow;
    o.seed = seed;
    o.threads = 1;
    o.progress = false;
    return o;
}

// One run: doctor, then fit; if fit refuses the data, the same run with every lint waived
// measures what the mistake costs.
template <class Net, class Y>
Outcome run(const Data<Y>& d, const Config& c, std::uint64_t seed, const Tamper<Net>& tamper = {}) {
    const auto t0 = std::chrono::steady_clock::now();
    Outcome out;
    auto make = [&] {
        auto net = std::make_unique<Net>(sn::Seed{seed});
        if (tamper) tamper(*net, seed);
        return net;
    };
    auto net = make();
    const sn::FitOptions options = fit_options<Net>(d, c, seed, {});
    out.signal_ratio = init_signal_ratio(net->engine(), d.x);
    try {
        const sn::Report r = sn::doctor(*net, d.x, d.y, options);
        for (const auto& f : r.findings)
            add(out, f.id, f.severity), out.doctor_ids.insert(f.id), out.dead_share = std::max(out.dead_share, dead_share_of(f));
        out.loss_at_init = r.loss_at_init;
        out.expected_at_init = r.expected_loss_at_init;
        if (r.learning_rate.exploded()) out.lr_ratio = sn::learning_rate_of(c.optimizer) / r.learning_rate.max_stable;
        for (const auto& ch : r.checks)
            if (ch.name.rfind("a short run", 0) == 0)
                std::sscanf(ch.result.c_str(), "loss %lf -> %lf (constant prediction: %lf)", &out.trial_initial, &out.trial_final,
                            &out.trial_baseline);
        if (out.doctor_ids.count("L2.3") && std::isfinite(out.trial_final))
            out.trial_1000 = longer_short_run(net->engine(), d, options, 1000);
        if (g_trace) {
            std::string checks;
            for (const auto& ch : r.checks) checks += "\n   | " + ch.name + ": " + ch.result;
            trace("doctor" + checks, r.findings, {});
        }
    } catch (const sn::shape_error& e) {
        if (label_range_error(e))
            add(out, "L3.1", sn::Severity::error);
        else
            out.note += std::string("doctor: ") + e.what() + "; ";
    } catch (const std::exception& e) {
        out.note += std::string("doctor: ") + e.what() + "; ";
    }
    bool rerun = false;
    try {
        const sn::History h = sn::fit(*net, d.x, d.y, options);
        for (const auto& f : h.diagnostics)
            add(out, f.id, f.severity), out.fit_ids.insert(f.id), out.dead_share = std::max(out.dead_share, dead_share_of(f));
        record_epochs(out, h);
        out.metric = sn::evaluate(*net, d.xt, d.yt, 1).metric;
        trace("fit, test metric " + std::to_string(out.metric), h.diagnostics, h.epochs);
    } catch (const sn::divergence_error& e) {
        for (const auto& f : e.history().diagnostics)
            add(out, f.id, f.severity), out.fit_ids.insert(f.id), out.dead_share = std::max(out.dead_share, dead_share_of(f));
        add(out, e.id(), sn::Severity::error), out.fit_ids.insert(e.id());
        record_epochs(out, e.history());
        trace(std::string("fit diverged: ") + e.what(), e.history().diagnostics, e.history().epochs);
        out.end = "diverged";
        rerun = true;
    } catch (const sn::lint_error& e) {
        add(out, e.id(), sn::Severity::error), out.fit_ids.insert(e.id());
        out.end = "refused " + e.id();
        trace(std::string("fit refused: ") + e.what(), {}, {});
        rerun = true;
    } catch (const sn::shape_error& e) {
        if (label_range_error(e))
            add(out, "L3.1", sn::Severity::error);
        else
            out.note += std::string("fit: ") + e.what() + "; ";
        out.end = "shape_error";
        rerun = true;
    } catch (const std::exception& e) {
        out.note += std::string("fit: ") + e.what() + "; ";
        out.end = "exception";
        rerun = true;
    }
    if (rerun) {
        auto waived = make();
        try {
            sn::FitOptions o = fit_options<Net>(d, c, seed, all_waivers);
            o.monitor = false;  // nothing but non-finite numbers may stop it
            const sn::History h = sn::fit(*waived, d.x, d.y, o);
            out.metric = sn::evaluate(*waived, d.xt, d.yt, 1).metric;
            trace("waived fit, test metric " + std::to_string(out.metric), {}, h.epochs);
        } catch (const std::exception& e) {
            out.cannot_train = true;
            trace(std::string("waived fit failed: ") + e.what(), {}, {});
        }
    }
    data_alternatives(out, d.x);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

// ---- Tampering with a network (items 8 and 9) -----------------------------------------------

template <class Net>
void for_dense(Net& net, const std::function<void(const sn::detail::stage&, float*)>& f) {
    auto& m = net.engine();
    for (const auto& st : m.stages())
        if (st.k == sn::detail::kind::dense) f(st, m.params());
}

// Biases of every hidden ReLU layer set to b ("start the biases negative so the units are sparse").
template <class Net>
Tamper<Net> hidden_bias(float b) {
    return [b](Net& net, std::uint64_t) {
        const auto& stages = net.engine().stages();
        for_dense(net, [&](const sn::detail::stage& st, float* p) {
            if (&st == &stages.back() || st.a != sn::detail::act::relu) return;
            for (int j = 0; j < st.out; ++j) p[st.b + static_cast<std::size_t>(j)] = b;
        });
    };
}

// Every weight multiplied by k (a hand-written init: N(0, 1) or N(0, 0.01) for every layer).
template <class Net>
Tamper<Net> scale_weights(float k) {
    return [k](Net& net, std::uint64_t) {
        for_dense(net, [&](const sn::detail::stage& st, float* p) {
            for (std::size_t i = 0; i < static_cast<std::size_t>(st.in) * static_cast<std::size_t>(st.out); ++i) p[st.w + i] *= k;
        });
    };
}

// A first epoch at a much higher rate (a warm-up schedule typed the wrong way round), then
// the real training continues from those weights.
template <class Net, class Y>
Tamper<Net> hot_warmup(std::shared_ptr<const Data<Y>> d, sn::Optimizer hot) {
    return [d, hot](Net& net, std::uint64_t seed) {
        Config c;
        c.epochs = 1;
        c.optimizer = hot;
        sn::FitOptions o = fit_options<Net>(*d, c, seed + 7, all_waivers);
        o.monitor = false;
        try {
            sn::fit(net, d->x, d->y, o);
        } catch (const std::exception&) {}
    };
}

// ---- Cases --------------------------------------------------------------------------------

struct Case {
    std::string name;
    std::string base;
    int item = 0;  // mutations: the article item of the mistake
    std::vector<std::string> expected;  // mutations: the lint IDs that count as detecting it
    bool by_definition = false;  // effective whatever the metric (the fault is in the evaluation)
    bool quick = false;  // part of --quick
    std::string what;
    std::function<Outcome(std::uint64_t)> job;
};

struct BaseInfo {
    std::string name, metric;
    double target;
    std::string reference;  // the clean variant whose run is the reference of a seed
};

const std::vector<BaseInfo> base_info = {
    {"fashion", "accuracy", 0.80, "fashion-x255-adam"},      {"blobs", "accuracy", 0.88, "blobs-zscore-adam"},
    {"spiral", "accuracy", 0.90, "spiral-zscore-adam"},      {"arm", "r2", 0.95, "arm-zscore-adam"},
    {"friedman", "r2", 0.85, "friedman-raw01-adam"},         {"friedman-small", "r2", 0.40, "friedman-small-adam"},
    {"spiral-small", "accuracy", 0.80, "spiral-small-adam"}, {"fashion-small", "accuracy", 0.70, "fashion-small-adam"},
    {"blobs-small", "accuracy", 0.85, "blobs-small-adam"},   {"blobs-noisy", "accuracy", 0.65, "blobs-noisy-adam"},
};

const BaseInfo& info(const std::string& base) {
    for (const auto& b : base_info)
        if (b.name == base) return b;
    std::fprintf(stderr, "unknown base %s\n", base.c_str());
    std::exit(2);
}

template <class Net, class Y>
std::function<Outcome(std::uint64_t)> job(std::function<Data<Y>()> data, Config c, Tamper<Net> tamper = {}) {
    return [data = std::move(data), c, tamper = std::move(tamper)](std::uint64_t seed) {
        const Data<Y> d = data();
        return run<Net>(d, c, seed, tamper);
    };
}

sn::Optimizer adam(float lr) { return sn::Adam{.learning_rate = lr}; }
sn::Optimizer sgd(float lr) { return sn::SGD{.learning_rate = lr, .momentum = 0.9f}; }

// The training budgets of the clean references.
const Config fashion_cfg{.epochs = 4, .batch = 32, .optimizer = adam(1e-3f)};
const Config blobs_cfg{.epochs = 5, .batch = 32, .optimizer = adam(1e-3f)};
const Config spiral_cfg{.epochs = 30, .batch = 32, .optimizer = adam(3e-3f)};
const Config arm_cfg{.epochs = 20, .batch = 32, .optimizer = adam(1e-3f)};
const Config friedman_cfg{.epochs = 15, .batch = 32, .optimizer = adam(1e-3f)};
const Config spiral_small_cfg{.epochs = 80, .batch = 16, .optimizer = adam(3e-3f)};
const Config friedman_small_cfg{.epochs = 30, .batch = 16, .optimizer = adam(1e-3f)};

Config with(Config c, const std::function<void(Config&)>& f) {
    f(c);
    return c;
}

std::vector<Case> clean_cases() {
    std::vector<Case> v;
    auto add_case = [&](std::string name, std::string base, std::string what, bool quick,
                        std::function<Outcome(std::uint64_t)> j) {
        v.push_back(Case{std::move(name), std::move(base), 0, {}, false, quick, std::move(what), std::move(j)});
    };
    // Fashion-MNIST
    add_case("fashion-x255-adam", "fashion", "x / 255, Adam 1e-3, batch 32, 128-64", true,
             job<FashionNet, sn::labels>(fashion_clean, fashion_cfg));
    add_case("fashion-group-zscore", "fashion", "all pixels standardized as one group", false,
             job<FashionNet, sn::labels>(
                 [] {
                     ClsData d = bases().fashion;
                     std::vector<std::size_t> px(784);
                     for (std::size_t i = 0; i < 784; ++i) px[i] = i;
                     sn::Standardizer s;
                     s.fit(d.x, {px});
                     d.x = s.transform(d.x), d.xv = s.transform(d.xv), d.xt = s.transform(d.xt);
                     return d;
                 },
                 fashion_cfg));
    add_case("fashion-sym-sgd", "fashion", "x / 127.5 - 1, SGD 0.01 momentum 0.9", false,
             job<FashionNet, sn::labels>([] { return map_x(bases().fashion, [](sn::matrix& m) { m = m / 127.5f - 1.f; }); },
                                         with(fashion_cfg, [](Config& c) { c.optimizer = sgd(0.01f); })));
    add_case("fashion-wide-b64", "fashion", "256-128, keep 0.8, batch 64", false,
             job<FashionWide, sn::labels>(fashion_clean, with(fashion_cfg, [](Config& c) { c.batch = 64; })));
    // Blobs
    add_case("blobs-zscore-adam", "blobs", "z-scored, Adam 1e-3, batch 32, 64-64", true,
             job<BlobNet, sn::labels>(blobs_clean, blobs_cfg));
    add_case("blobs-minmax01", "blobs", "min-max to [0, 1]", true,
             job<BlobNet, sn::labels>([] { return minmax_x(bases().blobs, 0.f, 1.f); }, blobs_cfg));
    add_case("blobs-minmax-sym", "blobs", "min-max to [-1, 1]", false,
             job<BlobNet, sn::labels>([] { return minmax_x(bases().blobs, -1.f, 1.f); }, blobs_cfg));
    add_case("blobs-batch8", "blobs", "batch 8, Adam 3e-4", false,
             job<BlobNet, sn::labels>(blobs_clean, with(blobs_cfg, [](Config& c) { c.batch = 8, c.optimizer = adam(3e-4f); })));
    add_case("blobs-wide1024", "blobs", "1024-64, keep 0.8, 3 epochs", false,
             job<BlobWide, sn::labels>(blobs_clean, with(blobs_cfg, [](Config& c) { c.epochs = 3; })));
    add_case("blobs-sgd", "blobs", "SGD 0.01 momentum 0.9", true,
             job<BlobNet, sn::labels>(blobs_clean, with(blobs_cfg, [](Config& c) { c.optimizer = sgd(0.01f); })));
    add_case("blobs-elu-lecun", "blobs", "ELU + LeCun, 128-128", false, job<BlobElu, sn::labels>(blobs_clean, blobs_cfg));
    // Spiral
    add_case("spiral-zscore-adam", "spiral", "z-scored, Adam 3e-3, batch 32, 128-128", true,
             job<SpiralNet, sn::labels>(spiral_clean, spiral_cfg));
    add_case("spiral-minmax-sym", "spiral", "min-max to [-1, 1]", false,
             job<SpiralNet, sn::labels>([] { return minmax_x(bases().spiral, -1.f, 1.f); }, spiral_cfg));
    add_case("spiral-raw-metres", "spiral", "raw metres (already unit scale)", false,
             job<SpiralNet, sn::labels>([] { return bases().spiral; }, spiral_cfg));
    add_case(
        "spiral-wide-b16", "spiral", "256-256, keep 0.8, batch 16, Adam 1e-3", false,
        job<SpiralWide, sn::labels>(spiral_clean, with(spiral_cfg, [](Config& c) { c.batch = 16, c.optimizer = adam(1e-3f); })));
    add_case("spiral-tanh-lecun", "spiral", "Tanh + LeCun", false, job<SpiralTanh, sn::labels>(spiral_clean, spiral_cfg));
    // Arm
    add_case("arm-zscore-adam", "arm", "z-scored inputs and targets, Adam 1e-3, batch 32, 128-128", true,
             job<ArmNet, sn::matrix>(arm_clean, arm_cfg));
    add_case("arm-radians-metres", "arm", "angles / 180 in [-1, 1], targets raw metres", false,
             job<ArmNet, sn::matrix>([] { return map_x(bases().arm, [](sn::matrix& m) { m /= 180.f; }); }, arm_cfg));
    add_case("arm-wide1024", "arm", "1024-64", false, job<ArmWide, sn::matrix>(arm_clean, arm_cfg));
    add_case("arm-elu-sgd-b64", "arm", "ELU + LeCun, SGD 0.01 momentum 0.9, batch 64", false,
             job<ArmElu, sn::matrix>(arm_clean, with(arm_cfg, [](Config& c) { c.batch = 64, c.optimizer = sgd(0.01f); })));
    // Friedman
    add_case("friedman-raw01-adam", "friedman", "inputs raw in [0, 1], targets z-scored, Adam 1e-3, 128-128", true,
             job<FriedNet, sn::matrix>(friedman_clean, friedman_cfg));
    add_case("friedman-zscore", "friedman", "z-scored inputs", false,
             job<FriedNet, sn::matrix>([] { return zscore_x(friedman_clean()); }, friedman_cfg));
    add_case("friedman-wide-b16", "friedman", "256-256, keep 0.8, batch 16, Adam 3e-4, 25 epochs", false,
             job<FriedWide, sn::matrix>(
                 friedman_clean, with(friedman_cfg, [](Config& c) { c.batch = 16, c.optimizer = adam(3e-4f), c.epochs = 25; })));
    add_case("friedman-sgd", "friedman", "SGD 0.01 momentum 0.9", false,
             job<FriedNet, sn::matrix>(friedman_clean, with(friedman_cfg, [](Config& c) { c.optimizer = sgd(0.01f); })));
    // Small Friedman (item 4's base)
    add_case("friedman-small-adam", "friedman-small", "200 noisy samples (sd 3), keep 0.9, batch 16, 30 epochs", true,
             job<FriedNet, sn::matrix>(friedman_small_clean, friedman_small_cfg));
    add_case("fashion-small-adam", "fashion-small", "600 images, Adam 1e-3, batch 32, 15 epochs", false,
             job<FashionNet, sn::labels>(fashion_small_clean, with(fashion_cfg, [](Config& c) { c.epochs = 15; })));
    add_case("blobs-small-adam", "blobs-small", "200 samples, batch 16, 20 epochs", false,
             job<BlobNet, sn::labels>(blobs_small_clean, with(blobs_cfg, [](Config& c) { c.epochs = 20, c.batch = 16; })));
    add_case("blobs-noisy-adam", "blobs-noisy", "300 samples, 25% of labels wrong, batch 16, 10 epochs", true,
             job<BlobNet, sn::labels>(blobs_noisy_clean, with(blobs_cfg, [](Config& c) { c.epochs = 10, c.batch = 16; })));
    add_case("spiral-small-adam", "spiral-small", "300 samples (noise 0.08), keep 0.9, batch 16, 80 epochs", false,
             job<SpiralNet, sn::labels>(spiral_small_clean, spiral_small_cfg));
    return v;
}

void scale_column(sn::matrix& m, std::size_t c, float k) {
    for (std::size_t r = 0; r < m.shape()[0]; ++r) m(r, c) *= k;
}
void set_column(sn::matrix& m, std::size_t c, float v) {
    for (std::size_t r = 0; r < m.shape()[0]; ++r) m(r, c) = v;
}

// Shuffles the rows of labels or targets independently of the inputs.
template <class Y>
void permute_rows(Y& y, std::uint64_t seed) {
    sn::kernels::rng r(seed);
    const std::size_t n = y.shape()[0];
    const std::size_t w = y.size() / n;
    for (std::size_t i = n; i > 1; --i) {
        const std::size_t j = r.below(i);
        for (std::size_t k = 0; k < w; ++k) std::swap(y.data()[(i - 1) * w + k], y.data()[j * w + k]);
    }
}

std::vector<Case> mutation_cases() {
    std::vector<Case> v;
    auto add_case = [&](std::string name, std::string base, int item, std::vector<std::string> expected, bool quick,
                        std::string what, std::function<Outcome(std::uint64_t)> j, bool by_definition = false) {
        v.push_back(Case{std::move(name), std::move(base), item, std::move(expected), by_definition, quick, std::move(what),
                         std::move(j)});
    };
    using L = sn::labels;
    using M = sn::matrix;

    // Item 1: normalize inputs and outputs.
    add_case("fashion-bytes", "fashion", 1, {"L1.1"}, true, "raw pixels 0-255",
             job<FashionNet, L>([] { return bases().fashion; }, fashion_cfg));
    add_case("blobs-raw-units", "blobs", 1, {"L1.1", "L1.2"}, true, "sensor readings in their own units",
             job<BlobNet, L>([] { return bases().blobs; }, blobs_cfg));
    add_case("spiral-millimetres", "spiral", 1, {"L1.1"}, false, "coordinates in mm",
             job<SpiralNet, L>([] { return map_x(bases().spiral, [](sn::matrix& m) { m *= 1000.f; }); }, spiral_cfg));
    add_case("arm-degrees", "arm", 1, {"L1.1"}, true, "joint angles in degrees, not standardized",
             job<ArmNet, M>([] { return zscore_y(bases().arm); }, arm_cfg));
    add_case("arm-targets-mm", "arm", 1, {"L1.4"}, true, "hand position in mm, not standardized",
             job<ArmNet, M>(
                 [] {
                     RegData d = zscore_x(bases().arm);
                     d.y *= 1000.f, d.yv *= 1000.f, d.yt *= 1000.f;
                     return d;
                 },
                 arm_cfg));
    add_case("friedman-raw-targets", "friedman", 1, {"L1.4"}, false, "targets not standardized (mean 14, sd 5)",
             job<FriedNet, M>([] { return bases().friedman; }, friedman_cfg));
    add_case("blobs-column-km", "blobs", 1, {"L1.2"}, false, "one column in km (x 0.001) after the others were standardized",
             job<BlobNet, L>([] { return map_x(blobs_clean(), [](sn::matrix& m) { scale_column(m, 2, 0.001f); }); }, blobs_cfg));
    add_case("friedman-column-mm", "friedman", 1, {"L1.1", "L1.2"}, false, "input 3 in mm (x 1000), the rest in [0, 1]",
             job<FriedNet, M>([] { return map_x(friedman_clean(), [](sn::matrix& m) { scale_column(m, 3, 1000.f); }); },
                              friedman_cfg));
    add_case("arm-stuck-joint", "arm", 1, {"L1.3"}, true, "the second joint's encoder stuck at 0",
             job<ArmNet, M>(
                 [] {
                     RegData d = arm_clean();
                     for (auto* m : {&d.x, &d.xv, &d.xt}) set_column(*m, 1, 0.f);
                     return d;
                 },
                 arm_cfg));
    add_case(
        "friedman-stuck-input", "friedman", 1, {"L1.3"}, false, "input 0 stuck at 0.5 (a failed join's default)",
        job<FriedNet, M>([] { return map_x(friedman_clean(), [](sn::matrix& m) { set_column(m, 0, 0.5f); }); }, friedman_cfg));

    // Item 2: look at the data and the results.
    add_case("blobs-no-validation", "blobs", 2, {"L2.1"}, true, "no validation set",
             job<BlobNet, L>(blobs_clean, with(blobs_cfg, [](Config& c) { c.validation = false; })), true);
    add_case("arm-no-validation", "arm", 2, {"L2.1"}, false, "no validation set",
             job<ArmNet, M>(arm_clean, with(arm_cfg, [](Config& c) { c.validation = false; })), true);
    add_case("blobs-val-from-train", "blobs", 2, {"L2.2"}, true, "validation rows taken from the training set",
             job<BlobNet, L>(
                 [] {
                     ClsData d = blobs_clean();
                     d.xv = sn::take_rows(d.x, 1000, 1500), d.yv = sn::take_rows(d.y, 1000, 1500);
                     return d;
                 },
                 blobs_cfg),
             true);
    add_case("fashion-val-from-train", "fashion", 2, {"L2.2"}, false, "validation = the last 1000 training images",
             job<FashionNet, L>(
                 [] {
                     ClsData d = fashion_clean();
                     d.xv = sn::take_rows(d.x, 4000, 5000), d.yv = sn::take_rows(d.y, 4000, 5000);
                     return d;
                 },
                 fashion_cfg),
             true);
    add_case("spiral-labels-shuffled", "spiral", 2, {"L2.3", "X6"}, true, "labels shuffled separately from the inputs",
             job<SpiralNet, L>(
                 [] {
                     ClsData d = spiral_clean();
                     permute_rows(d.y, 11), permute_rows(d.yv, 12);
                     return d;
                 },
                 spiral_cfg));
    add_case("fashion-labels-off-by-one", "fashion", 2, {"L2.3", "X6"}, false, "labels shifted one row against the images",
             job<FashionNet, L>(
                 [] {
                     ClsData d = fashion_clean();
                     for (auto* y : {&d.y, &d.yv}) std::rotate(y->begin(), y->begin() + 1, y->end());
                     return d;
                 },
                 fashion_cfg));
    add_case("friedman-targets-shuffled", "friedman", 2, {"L2.3", "X6"}, false, "targets shuffled separately from the inputs",
             job<FriedNet, M>(
                 [] {
                     RegData d = friedman_clean();
                     permute_rows(d.y, 13), permute_rows(d.yv, 14);
                     return d;
                 },
                 friedman_cfg));
    add_case("arm-same-input", "arm", 2, {"X6", "L1.3", "L2.3"}, true, "every input row is row 0 (x[0] instead of x[i])",
             job<ArmNet, M>(
                 [] {
                     RegData d = arm_clean();
                     for (auto* m : {&d.x, &d.xv})
                         for (std::size_t i = 1; i < m->shape()[0]; ++i)
                             for (std::size_t j = 0; j < m->shape()[1]; ++j) (*m)(i, j) = (*m)(0, j);
                     return d;
                 },
                 arm_cfg));

    // Item 3: preprocess (the data themselves are broken).
    add_case("blobs-nan-inputs", "blobs", 3, {"L3.1"}, true, "0.1% missing readings left as NaN",
             job<BlobNet, L>(
                 [] {
                     ClsData d = blobs_clean();
                     sn::kernels::rng r(21);
                     for (std::size_t i = 0; i < d.x.size() / 1000; ++i) d.x.data()[r.below(d.x.size())] = std::nanf("");
                     return d;
                 },
                 blobs_cfg));
    add_case("friedman-inf-targets", "friedman", 3, {"L3.1"}, false, "3 targets are +Inf (log of 0 upstream)",
             job<FriedNet, M>(
                 [] {
                     RegData d = friedman_clean();
                     d.y(17, 0) = d.y(1234, 0) = d.y(3001, 0) = INFINITY;
                     return d;
                 },
                 friedman_cfg));
    add_case("spiral-labels-1-based", "spiral", 3, {"L3.1"}, false, "labels 1..3 instead of 0..2",
             job<SpiralNet, L>(
                 [] {
                     ClsData d = spiral_clean();
                     d.y += 1, d.yv += 1, d.yt += 1;
                     return d;
                 },
                 spiral_cfg));
    add_case("arm-nan-validation", "arm", 3, {"L3.1"}, false, "NaN in the validation targets",
             job<ArmNet, M>(
                 [] {
                     RegData d = arm_clean();
                     d.yv(42, 1) = std::nanf("");
                     return d;
                 },
                 arm_cfg));

    // Item 4: regularize.
    add_case("friedman-small-noreg-long", "friedman-small", 4, {"L4.3"}, true,
             "512-512 without dropout (L4.1 waived), 150 epochs",
             job<FriedBigNoReg, M>(friedman_small_clean, with(friedman_small_cfg, [](Config& c) { c.epochs = 150; })));

    add_case("friedman-small-no-early-stop", "friedman-small", 4, {"L4.3"}, false,
             "the clean network trained 300 epochs instead of 30",
             job<FriedNet, M>(friedman_small_clean, with(friedman_small_cfg, [](Config& c) { c.epochs = 300; })));
    add_case("spiral-small-noreg-long", "spiral-small", 4, {"L4.3"}, false, "512-512 without dropout (L4.1 waived), 300 epochs",
             job<SpiralBigNoReg, L>(spiral_small_clean, with(spiral_small_cfg, [](Config& c) { c.epochs = 300; })));

    add_case("fashion-small-noreg-long", "fashion-small", 4, {"L4.3"}, false, "512-256 without dropout (L4.1 waived), 100 epochs",
             job<FashionBigNoReg, L>(fashion_small_clean, with(fashion_cfg, [](Config& c) { c.epochs = 100; })));
    add_case("blobs-noisy-noreg-long", "blobs-noisy", 4, {"L4.3"}, true, "512-512 without dropout (L4.1 waived), 200 epochs",
             job<BlobBigNoReg, L>(blobs_noisy_clean, with(blobs_cfg, [](Config& c) { c.epochs = 200, c.batch = 16; })));
    add_case("blobs-small-noreg-long", "blobs-small", 4, {"L4.3"}, false, "512-512 without dropout (L4.1 waived), 200 epochs",
             job<BlobBigNoReg, L>(blobs_small_clean, with(blobs_cfg, [](Config& c) { c.epochs = 200, c.batch = 16; })));

    // Item 5: batch size.
    add_case("blobs-full-batch", "blobs", 5, {"L5.1"}, true, "batch = the 2500 training samples",
             job<BlobNet, L>(blobs_clean, with(blobs_cfg, [](Config& c) { c.batch = 2500; })));
    add_case("fashion-batch-512", "fashion", 5, {"L5.1"}, false, "batch 512",
             job<FashionNet, L>(fashion_clean, with(fashion_cfg, [](Config& c) { c.batch = 512; })));
    add_case("arm-batch-1024", "arm", 5, {"L5.1"}, false, "batch 1024",
             job<ArmNet, M>(arm_clean, with(arm_cfg, [](Config& c) { c.batch = 1024; })));
    add_case("spiral-batch-gt-samples", "spiral", 5, {"L5.2"}, true, "batch 4096 > 2400 samples",
             job<SpiralNet, L>(spiral_clean, with(spiral_cfg, [](Config& c) { c.batch = 4096; })));

    // Item 6: learning rate.
    add_case("fashion-adam-lr-x100", "fashion", 6, {"L6.1", "L2.3", "L8.1"}, false, "Adam at 0.1",
             job<FashionNet, L>(fashion_clean, with(fashion_cfg, [](Config& c) { c.optimizer = adam(0.1f); })));
    add_case("friedman-sgd-lr-x100", "friedman", 6, {"L6.1", "L2.3", "L8.1"}, true, "SGD (momentum 0.9) at 1.0",
             job<FriedNet, M>(friedman_clean, with(friedman_cfg, [](Config& c) { c.optimizer = sgd(1.f); })));
    add_case("blobs-sgd-lr-x30", "blobs", 6, {"L6.1", "L2.3", "L8.1"}, false, "SGD (momentum 0.9) at 0.3",
             job<BlobNet, L>(blobs_clean, with(blobs_cfg, [](Config& c) { c.optimizer = sgd(0.3f); })));
    add_case("arm-adam-lr-x30", "arm", 6, {"L6.1", "L2.3", "L8.1"}, false, "Adam at 0.03",
             job<ArmNet, M>(arm_clean, with(arm_cfg, [](Config& c) { c.optimizer = adam(0.03f); })));
    add_case("blobs-adam-lr-x1e-4", "blobs", 6, {"L2.3"}, true, "Adam at 1e-7",
             job<BlobNet, L>(blobs_clean, with(blobs_cfg, [](Config& c) { c.optimizer = adam(1e-7f); })));
    add_case("arm-sgd-lr-x1e-4", "arm", 6, {"L2.3"}, false, "SGD (momentum 0.9) at 1e-6",
             job<ArmNet, M>(arm_clean, with(arm_cfg, [](Config& c) { c.optimizer = sgd(1e-6f); })));
    add_case("spiral-clip-masks-lr", "spiral", 6, {"L6.2", "L6.1"}, true, "SGD at 30x (0.3) with clip_grad_norm 1",
             job<SpiralNet, L>(spiral_clean, with(spiral_cfg, [](Config& c) { c.optimizer = sgd(0.3f), c.clip = 1.f; })));
    add_case("blobs-clip-masks-lr", "blobs", 6, {"L6.2", "L6.1"}, false, "SGD at 30x (0.3) with clip_grad_norm 1",
             job<BlobNet, L>(blobs_clean, with(blobs_cfg, [](Config& c) { c.optimizer = sgd(0.3f), c.clip = 1.f; })));

    // Item 8: dead ReLUs and bad gradients.
    add_case("blobs-relu-bias-neg", "blobs", 8, {"L8.1"}, true, "hidden ReLU biases initialized to -3",
             job<BlobNet, L>(blobs_clean, blobs_cfg, hidden_bias<BlobNet>(-3.f)));
    add_case("fashion-relu-bias-neg", "fashion", 8, {"L8.1"}, false, "hidden ReLU biases initialized to -1",
             job<FashionNet, L>(fashion_clean, fashion_cfg, hidden_bias<FashionNet>(-1.f)));
    {
        auto spiral = std::make_shared<const ClsData>(spiral_clean());
        add_case("spiral-hot-warmup", "spiral", 8, {"L8.1"}, false,
                 "a first epoch at SGD 3.0 (warm-up reversed), then the real run",
                 job<SpiralNet, L>([spiral] { return *spiral; }, spiral_cfg, hot_warmup<SpiralNet>(spiral, sgd(3.f))));
    }
    add_case("blobs-deep-tanh-small-init", "blobs", 8, {"L8.2", "L9.3"}, true,
             "7 Tanh layers with weights x 0.08 (N(0, 0.01)), SGD 0.01",
             job<BlobDeepTanh, L>(blobs_clean, with(blobs_cfg, [](Config& c) { c.optimizer = sgd(0.01f); }),
                                  scale_weights<BlobDeepTanh>(0.08f)));
    {
        auto fashion = std::make_shared<const ClsData>(fashion_clean());
        add_case("fashion-hot-warmup", "fashion", 8, {"L8.1"}, false,
                 "a first epoch at SGD 0.5 (warm-up reversed), then the real run",
                 job<FashionNet, L>([fashion] { return *fashion; }, fashion_cfg, hot_warmup<FashionNet>(fashion, sgd(0.5f))));
    }

    // Item 9: initialization.
    add_case("blobs-deep-tanh-tiny-init-adam", "blobs", 9, {"L9.2", "L9.3", "L8.2"}, false,
             "7 Tanh layers with weights x 0.08 (N(0, 0.01)), Adam",
             job<BlobDeepTanh, L>(blobs_clean, blobs_cfg, scale_weights<BlobDeepTanh>(0.08f)));
    add_case("fashion-init-x10", "fashion", 9, {"L9.2"}, true, "every weight x 10 (a hand-written N(0, 1) init)",
             job<FashionNet, L>(fashion_clean, fashion_cfg, scale_weights<FashionNet>(10.f)));
    add_case("arm-init-x10", "arm", 9, {"L9.2"}, false, "every weight x 10",
             job<ArmNet, M>(arm_clean, arm_cfg, scale_weights<ArmNet>(10.f)));
    add_case("spiral-init-x10", "spiral", 9, {"L9.2"}, false, "every weight x 10",
             job<SpiralNet, L>(spiral_clean, spiral_cfg, scale_weights<SpiralNet>(10.f)));
    return v;
}

// ---- Reporting ----------------------------------------------------------------------------

const char* const item_names[12] = {"",
                                    "normalize inputs and outputs",
                                    "look at the data and results",
                                    "preprocess the data",
                                    "regularize",
                                    "batch size",
                                    "learning rate",
                                    "final-layer activation",
                                    "dead ReLUs, bad gradients",
                                    "initialization",
                                    "too deep",
                                    "hidden units"};

struct Result {
    const Case* c;
    std::uint64_t seed;
    Outcome o;
    bool effective = false, detected = false;
    double reference = std::nan("");
};

// ---- --analysis: how alternative rules would do on the same runs -------------------------------

// L4.3 as in monitors.hpp, with its parameters and two optional extra conditions: the training
// loss is still below where it was at the best validation epoch, and the validation metric has
// fallen by `metric_drop` (relative) from its best.
bool overfit_rule(const Outcome& o, double gap, double rise, int epochs, bool train_falling, double metric_drop) {
    double best = INFINITY, best_metric = -INFINITY;
    std::size_t best_at = 0;
    int run = 0;
    for (std::size_t e = 0; e < o.val_loss.size(); ++e) {
        const double v = o.val_loss[e], t = o.train_loss[e], m = o.val_metric[e];
        if (!std::isfinite(v)) return false;
        if (v < best) best = v, best_at = e;
        best_metric = std::max(best_metric, m);
        bool c = t > 0 && (v - t) / t > gap && v >= rise * best;
        if (train_falling) c = c && t < o.train_loss[best_at];
        if (metric_drop >= 0) c = c && m <= best_metric - metric_drop * std::fabs(best_metric);
        run = c ? run + 1 : 0;
        if (run >= epochs) return true;
    }
    return false;
}

using Rule = std::function<bool(const Result&)>;  // does a lint fire on this run

struct Alternative {
    std::string name;
    std::vector<std::pair<std::string, Rule>> rules;  // lint -> its alternative rule (the others as shipped)
};

// Per-item detection and the clean set's warning rate under an alternative.
void evaluate_alternative(const std::vector<Result>& results, const Alternative& a) {
    int clean = 0, warned = 0, lint_fp = 0;
    std::map<std::string, int> names;  // clean cases where the changed lints fire
    std::map<int, std::pair<int, int>> item;  // item -> (effective, detected)
    for (const Result& r : results) {
        std::map<std::string, int> f = r.o.fired;
        bool changed_fires = false;
        for (const auto& [lint, rule] : a.rules) {
            f.erase(lint);
            if (rule(r)) {
                f[lint] = r.o.fired.count(lint) ? r.o.fired.at(lint) : 1;
                changed_fires = true;
            }
        }
        if (r.c->item == 0) {
            ++clean, lint_fp += changed_fires;
            if (changed_fires) names[r.c->name]++;
            warned += std::any_of(f.begin(), f.end(), [](const auto& p) { return p.second == 1; });
        } else if (r.effective) {
            auto& [eff, det] = item[r.c->item];
            ++eff;
            det +=
                std::any_of(r.c->expected.begin(), r.c->expected.end(), [&](const std::string& id) { return f.count(id) > 0; });
        }
    }
    // The items whose mutations expect one of the changed lints (all items for a combination).
    std::string items;
    for (const auto& [i, ed] : item) {
        const bool concerned =
            a.rules.size() > 1 || std::any_of(results.begin(), results.end(), [&](const Result& r) {
                return r.c->item == i && r.effective &&
                       std::find(r.c->expected.begin(), r.c->expected.end(), a.rules[0].first) != r.c->expected.end();
            });
        if (concerned) items += " " + std::to_string(i) + ": " + std::to_string(ed.second) + "/" + std::to_string(ed.first);
    }
    std::string where;
    for (const auto& [n, k] : names) where += (where.empty() ? " (" : ", ") + n + " " + std::to_string(k);
    if (!where.empty()) where += ")";
    std::printf("| %s | %d%s | %d (%.1f%%) |%s |\n", a.name.c_str(), lint_fp, where.c_str(), warned,
                clean ? 100.0 * warned / clean : 0.0, items.c_str());
}

// L4.3 in monitors.hpp's form, with its parameters and two optional extra conditions.
Rule overfit(double rise, int epochs, bool train_falling, double metric_drop) {
    return [=](const Result& r) { return overfit_rule(r.o, 0.1, rise, epochs, train_falling, metric_drop); };
}

void analysis(const std::vector<Result>& results) {
    std::printf(
        "\nAnalysis: the same runs under alternative rules (clean runs where the changed lints fire; clean runs with any "
        "warning; "
        "detection per item for the items whose mutations expect the lint)\n\n");
    std::printf("| rule | clean runs firing | clean runs warned | detection (item: detected/effective) |\n|---|---|---|---|\n");
    auto has = [](const Result& r, const char* id) { return r.o.fired.count(id) > 0; };
    auto fit_has = [](const Result& r, const char* id) { return r.o.fit_ids.count(id) > 0; };
    const Rule l92_wider = [&](const Result& r) {
        if (r.o.expected_at_init > 0) return std::fabs(r.o.loss_at_init - r.o.expected_at_init) > 1.0 * r.o.expected_at_init;
        return has(r, "L9.2");
    };
    const Rule l92_signal = [&](const Result& r) { return l92_wider(r) || r.o.signal_ratio < 1e-2 || r.o.signal_ratio > 1e2; };
    const Rule l23_doctor = [&](const Result& r) {
        if (fit_has(r, "L2.3")) return true;
        if (!r.o.doctor_ids.count("L2.3")) return false;
        return r.o.trial_final >= r.o.trial_baseline || !(r.o.trial_final < 0.9 * r.o.trial_initial);
    };
    const Rule l23_long = [&](const Result& r) {
        if (fit_has(r, "L2.3")) return true;
        if (!r.o.doctor_ids.count("L2.3")) return false;
        return !(r.o.trial_1000 < 0.9 * r.o.trial_baseline);
    };
    const Rule l81_strict = [](const Result& r) { return r.o.dead_share > 0.5; };
    const Rule l81_60 = [](const Result& r) { return r.o.dead_share >= 0.6; };
    const Rule l12_alt = [](const Result& r) { return r.o.l12_without_near_constant; };
    const Rule l13_alt = [](const Result& r) { return r.o.l13_narrow_only; };
    const Rule l61_third = [&](const Result& r) { return has(r, "L6.1") || r.o.lr_ratio > 1.0 / 3; };
    const std::vector<Alternative> alts = {
        {"L4.3 DESIGN.md start (gap > 0.1, val >= 1.02 x best for 3 epochs)", {{"L4.3", overfit(1.02, 3, false, -1)}}},
        {"L4.3 val >= 1.05 x best", {{"L4.3", overfit(1.05, 3, false, -1)}}},
        {"L4.3 val >= 1.10 x best", {{"L4.3", overfit(1.10, 3, false, -1)}}},
        {"L4.3 + train below its value at the best epoch", {{"L4.3", overfit(1.02, 3, true, -1)}}},
        {"L4.3 as shipped: val >= 1.05 x best for 5 epochs + train below its value at the best epoch",
         {{"L4.3", overfit(1.05, 5, true, -1)}}},
        {"L4.3 + val metric >= 2% below its best", {{"L4.3", overfit(1.02, 3, false, 0.02)}}},
        {"L4.3 + val metric >= 5% below its best", {{"L4.3", overfit(1.02, 3, false, 0.05)}}},
        {"L9.2 as shipped (|L0 - ln K| > 1.0 ln K; regression L0 > 10)",
         {{"L9.2", [&](const Result& r) { return has(r, "L9.2"); }}}},
        {"L9.2 |L0 - ln K| > 1.0 ln K, or hidden RMS last/first at init outside [1e-2, 1e2]", {{"L9.2", l92_signal}}},
        {"L2.3 doctor as shipped (1000-step short-run loss >= 0.9 x constant prediction)",
         {{"L2.3", [&](const Result& r) { return has(r, "L2.3"); }}}},
        {"L2.3 doctor: short-run loss >= constant, or >= 0.9 x constant and lowered by < 10%", {{"L2.3", l23_doctor}}},
        {"L2.3 fit only (no doctor short-run check)", {{"L2.3", [&](const Result& r) { return fit_has(r, "L2.3"); }}}},
        {"L6.1 doctor also warns when the rate > largest stable / 3", {{"L6.1", l61_third}}},
        {"L8.1 share > 50% (strict) instead of >= 50%", {{"L8.1", l81_strict}}},
        {"L8.1 share >= 60%", {{"L8.1", l81_60}}},
        {"L8.1 share >= 75%", {{"L8.1", [](const Result& r) { return r.o.dead_share >= 0.75; }}}},
        {"L1.2 without features >= 99% at one value", {{"L1.2", l12_alt}}},
        {"L1.3 only for inputs narrower than 256 features", {{"L1.3", l13_alt}}},
        {"all of: L4.3 1.05 x best for 5 epochs + train falling, L9.2 1.0 ln K + init signal, L2.3 doctor 1000 steps, L8.1 >= "
         "60%, "
         "L1.2 and L1.3 as above, L6.1 / 3",
         {{"L4.3", overfit(1.05, 5, true, -1)},
          {"L9.2", l92_signal},
          {"L2.3", l23_long},
          {"L8.1", l81_60},
          {"L1.2", l12_alt},
          {"L1.3", l13_alt},
          {"L6.1", l61_third}}},
    };
    for (const auto& a : alts) evaluate_alternative(results, a);

    // Margins: the clean set's worst value against the effective faults' values, per threshold.
    // The largest val / best-so-far held for `k` epochs in a row with the gap condition (and the
    // training loss below its value at the best epoch): the largest `overfit_rise` that fires.
    auto rise = [](const Outcome& o, std::size_t k, bool train_falling) {
        double best = INFINITY, top = 0;
        std::size_t best_at = 0;
        std::vector<double> q;
        for (std::size_t e = 0; e < o.val_loss.size(); ++e) {
            if (o.val_loss[e] < best) best = o.val_loss[e], best_at = e;
            const double t = o.train_loss[e], v = o.val_loss[e];
            const bool ok = t > 0 && (v - t) / t > 0.1 && (!train_falling || t < o.train_loss[best_at]);
            q.push_back(ok ? v / best : 0.0);
            if (q.size() >= k) top = std::max(top, *std::min_element(q.end() - static_cast<std::ptrdiff_t>(k), q.end()));
        }
        return top;
    };
    auto rise3 = [&](const Outcome& o) { return rise(o, 3, false); };
    double clean_rise5 = 0;
    std::string fault_rise5;
    double clean_rise = 0, clean_dead = 0, clean_l0 = 0;
    std::string fault_rise, fault_dead, fault_l0;
    char buf[64];
    for (const Result& r : results) {
        if (r.c->item == 0) {
            clean_rise = std::max(clean_rise, rise3(r.o));
            clean_rise5 = std::max(clean_rise5, rise(r.o, 5, true));
            clean_dead = std::max(clean_dead, r.o.dead_share);
            if (r.o.expected_at_init > 0)
                clean_l0 = std::max(clean_l0, std::fabs(r.o.loss_at_init - r.o.expected_at_init) / r.o.expected_at_init);
            continue;
        }
        if (!r.effective) continue;
        auto expects = [&](const char* id) {
            return std::find(r.c->expected.begin(), r.c->expected.end(), id) != r.c->expected.end();
        };
        if (expects("L4.3")) {
            std::snprintf(buf, sizeof buf, " %.2f", rise3(r.o)), fault_rise += buf;
            std::snprintf(buf, sizeof buf, " %.2f", rise(r.o, 5, true)), fault_rise5 += buf;
        }
        if (expects("L8.1") && r.o.dead_share > 0)
            std::snprintf(buf, sizeof buf, " %.0f%%", 100 * r.o.dead_share), fault_dead += buf;
        if (expects("L9.2") && r.o.expected_at_init > 0)
            std::snprintf(buf, sizeof buf, " %.3g", std::fabs(r.o.loss_at_init - r.o.expected_at_init) / r.o.expected_at_init),
                fault_l0 += buf;
    }
    std::printf("\nmargins (clean worst | effective faults expecting the lint):\n");
    std::printf("  L4.3 val / best held 3 epochs: clean %.3f |%s\n", clean_rise, fault_rise.c_str());
    std::printf("  L4.3 the same, 5 epochs, train below its value at the best epoch: clean %.3f |%s\n", clean_rise5,
                fault_rise5.c_str());
    std::printf("  L8.1 dead share reported:      clean %.0f%% |%s\n", 100 * clean_dead, fault_dead.c_str());
    std::printf("  L9.2 |L0 - ln K| / ln K:        clean %.2f |%s\n", clean_l0, fault_l0.c_str());

    // The raw numbers behind the doctor's thresholds.
    double worst_l0 = 0, worst_ratio = 0, worst_trial = 0, sig_lo = INFINITY, sig_hi = 0;
    std::string worst_l0_at, worst_ratio_at;
    for (const Result& r : results) {
        if (r.c->item != 0) continue;
        if (r.o.expected_at_init > 0) {
            const double dev = std::fabs(r.o.loss_at_init - r.o.expected_at_init) / r.o.expected_at_init;
            if (dev > worst_l0) worst_l0 = dev, worst_l0_at = r.c->name + " seed " + std::to_string(r.seed);
        }
        if (r.o.lr_ratio > worst_ratio)
            worst_ratio = r.o.lr_ratio, worst_ratio_at = r.c->name + " seed " + std::to_string(r.seed);
        if (r.o.trial_baseline > 0) worst_trial = std::max(worst_trial, r.o.trial_final / r.o.trial_baseline);
        if (std::isfinite(r.o.signal_ratio))
            sig_lo = std::min(sig_lo, r.o.signal_ratio), sig_hi = std::max(sig_hi, r.o.signal_ratio);
    }
    std::printf(
        "\nclean set: largest |L0 - ln K| / ln K %.2f (%s); largest rate / largest stable rate %.3f (%s); "
        "largest short-run loss / constant prediction %.2f; hidden RMS last/first at init in [%.3g, %.3g]\n",
        worst_l0, worst_l0_at.c_str(), worst_ratio, worst_ratio_at.c_str(), worst_trial, sig_lo, sig_hi);
    for (const Result& r : results)
        if (r.c->item == 6 || r.c->item == 8 || r.c->item == 9)
            std::printf(
                "  %s seed %llu: L0 %.3g (ln K %.3g), rate / largest stable %.3g, short run %.3g -> %.3g (constant %.3g), "
                "dead %.0f%%, init signal %.3g%s\n",
                r.c->name.c_str(), static_cast<unsigned long long>(r.seed), r.o.loss_at_init, r.o.expected_at_init, r.o.lr_ratio,
                r.o.trial_initial, r.o.trial_final, r.o.trial_baseline, 100 * r.o.dead_share, r.o.signal_ratio,
                r.effective ? "" : " (not effective)");
    for (const Result& r : results)
        if (r.c->item == 0 && r.o.dead_share > 0)
            std::printf("  clean %s seed %llu: dead %.0f%%\n", r.c->name.c_str(), static_cast<unsigned long long>(r.seed),
                        100 * r.o.dead_share);
}

std::string fired_string(const std::map<std::string, int>& f) {
    std::string s;
    for (const auto& [id, sev] : f) s += (s.empty() ? "" : " ") + id + (sev == 2 ? "!" : "");
    return s.empty() ? "-" : s;
}

std::string csv_escape(const std::string& s) {
    std::string o = "\"";
    for (char ch : s) o += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return o + "\"";
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false, list = false, show_analysis = false;
    int seeds = 3, seed_base = 0;
    int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::string filter;
    std::filesystem::path csv = std::filesystem::path(argv[0]).parent_path() / "mistakes.csv";
    for (int i = 1; i < argc; ++i) {
        const bool has_value = i + 1 < argc;
        if (std::strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (std::strcmp(argv[i], "--list") == 0)
            list = true;
        else if (std::strcmp(argv[i], "--trace") == 0)
            g_trace = true;
        else if (std::strcmp(argv[i], "--analysis") == 0)
            show_analysis = true;
        else if (std::strcmp(argv[i], "--seeds") == 0 && has_value)
            seeds = std::atoi(argv[++i]);
        else if (std::strcmp(argv[i], "--seed-base") == 0 && has_value)
            seed_base = std::atoi(argv[++i]);
        else if (std::strcmp(argv[i], "--jobs") == 0 && has_value)
            jobs = std::atoi(argv[++i]);
        else if (std::strcmp(argv[i], "--csv") == 0 && has_value)
            csv = argv[++i];
        else if (std::strcmp(argv[i], "--filter") == 0 && has_value)
            filter = argv[++i];
        else {
            std::fprintf(stderr,
                         "usage: %s [--quick] [--seeds N (default 3)] [--seed-base B (seeds B+1..B+N)] [--csv PATH] [--jobs N] "
                         "[--filter TEXT] [--list] [--trace] [--analysis]\n",
                         argv[0]);
            return 2;
        }
    }
    if (quick) seeds = 1;
    if (seeds < 1 || jobs < 1) {
        std::fprintf(stderr, "--seeds and --jobs take a number >= 1\n");
        return 2;
    }
    const auto start = std::chrono::steady_clock::now();

    std::vector<Case> cases = clean_cases();
    const std::size_t n_clean_all = cases.size();
    for (auto& m : mutation_cases()) cases.push_back(std::move(m));
    // The cases asked for, and the clean reference of every base a selected mutation needs.
    std::vector<const Case*> selected;
    std::set<std::string> needed;
    auto wanted = [&](const Case& c) {
        return (!quick || c.quick) && (filter.empty() || c.name.find(filter) != std::string::npos);
    };
    for (const Case& c : cases)
        if (wanted(c) && c.item != 0) needed.insert(c.base);
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const Case& c = cases[i];
        const bool reference = i < n_clean_all && info(c.base).reference == c.name;
        if (wanted(c) || (reference && needed.count(c.base))) selected.push_back(&c);
    }
    if (list) {
        for (const Case* c : selected)
            std::printf("%-30s %-15s %s %s\n", c->name.c_str(), c->base.c_str(),
                        c->item ? ("item " + std::to_string(c->item)).c_str() : "clean", c->what.c_str());
        return 0;
    }

    // Every (case, seed), run on `jobs` threads (one thread per run): results do not depend
    // on the scheduling.
    std::vector<Result> results;
    for (const Case* c : selected)
        for (int s = 1; s <= seeds; ++s) results.push_back(Result{c, static_cast<std::uint64_t>(seed_base + s), {}});
    bases();  // load once, before the threads
    // Longest first, so that the two cores finish together: the long item-4 runs, then Fashion-MNIST.
    std::vector<std::size_t> order(results.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto weight = [&](std::size_t i) {
        return results[i].c->item == 4 ? 0 : results[i].c->base.rfind("fashion", 0) == 0 ? 1 : 2;
    };
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return std::pair(weight(a), a) < std::pair(weight(b), b); });
    std::atomic<std::size_t> next{0};
    std::mutex print;
    std::size_t done = 0;
    auto worker = [&] {
        for (std::size_t k; (k = next.fetch_add(1)) < results.size();) {
            const std::size_t i = order[k];
            g_current = results[i].c->name + " seed " + std::to_string(results[i].seed);
            results[i].o = results[i].c->job(results[i].seed);
            std::lock_guard<std::mutex> lock(print);
            ++done;
            if (!g_trace && sn::stderr_is_terminal())
                std::fprintf(stderr, "\r[%zu/%zu] %-40s", done, results.size(), results[i].c->name.c_str());
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < jobs; ++t) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    if (!g_trace && sn::stderr_is_terminal()) std::fprintf(stderr, "\r%-60s\r", "");

    // The reference metric of each (base, seed): its clean reference variant's run.
    std::map<std::pair<std::string, std::uint64_t>, double> reference;
    for (const Result& r : results)
        if (r.c->item == 0 && info(r.c->base).reference == r.c->name) reference[{r.c->base, r.seed}] = r.o.metric;
    for (Result& r : results) {
        if (r.c->item == 0) continue;
        const BaseInfo& b = info(r.c->base);
        const auto it = reference.find({r.c->base, r.seed});
        r.reference = it == reference.end() ? std::nan("") : it->second;
        const double m = r.o.metric;
        const bool broken = r.o.cannot_train || !(m >= b.target) ||
                            (std::isfinite(r.reference) && !(m >= r.reference - 0.1 * std::fabs(r.reference)));
        r.effective = r.c->by_definition || broken;
        r.detected = std::any_of(r.c->expected.begin(), r.c->expected.end(),
                                 [&](const std::string& id) { return r.o.fired.count(id) > 0; });
    }

    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    bool ok = true;

    // Per article item.
    std::printf("sanenet mistake benchmark: %zu cases x %d seed(s) = %zu runs%s, %d parallel jobs, %.0f s\n\n", selected.size(),
                seeds, results.size(), quick ? " (--quick)" : "", jobs, seconds);
    std::printf("Detection per article item (effective faults only; target >= 90%%)\n\n");
    std::printf("| item | mistake | mutations | runs | effective | detected | detection |\n|---|---|---|---|---|---|---|\n");
    for (int item = 1; item <= 11; ++item) {
        std::set<std::string> names;
        int runs = 0, eff = 0, det = 0;
        for (const Result& r : results)
            if (r.c->item == item) names.insert(r.c->name), ++runs, eff += r.effective, det += r.effective && r.detected;
        if (item == 7 || item == 10 || item == 11) {
            std::printf("| %d | %s | - | - | - | - | compile time (compile-fail suite) |\n", item, item_names[item]);
            continue;
        }
        if (runs == 0) {
            std::printf("| %d | %s | 0 | 0 | - | - | not run |\n", item, item_names[item]);
            continue;
        }
        const double rate = eff ? static_cast<double>(det) / eff : std::nan("");
        const bool pass = eff > 0 && rate >= 0.9;
        ok &= pass;
        std::printf("| %d | %s | %zu | %d | %d | %d | %s%s |\n", item, item_names[item], names.size(), runs, eff, det,
                    eff ? (std::to_string(static_cast<int>(std::lround(100 * rate))) + "%").c_str() : "no effective run",
                    pass ? "" : " FAIL");
    }

    // False positives on the clean set.
    int clean_runs = 0, err_runs = 0, warn_runs = 0;
    std::map<std::string, std::pair<int, int>> per_lint;  // id -> (warning runs, error runs)
    for (const Result& r : results) {
        if (r.c->item != 0) continue;
        ++clean_runs;
        bool e = false, w = false;
        for (const auto& [id, sev] : r.o.fired) {
            (sev == 2 ? per_lint[id].second : per_lint[id].first)++;
            e |= sev == 2, w |= sev == 1;
        }
        err_runs += e, warn_runs += w;
    }
    const double err_rate = clean_runs ? static_cast<double>(err_runs) / clean_runs : 0.0;
    const double warn_rate = clean_runs ? static_cast<double>(warn_runs) / clean_runs : 0.0;
    const bool fp_ok = err_runs == 0 && warn_rate <= 0.05;
    ok &= fp_ok;
    std::printf(
        "\nFalse positives on the clean set (%d runs): error-level %d (%.1f%%, target 0), warning-level %d (%.1f%%, target <= "
        "5%%)%s\n",
        clean_runs, err_runs, 100 * err_rate, warn_runs, 100 * warn_rate, fp_ok ? "" : " FAIL");
    for (const auto& [id, n] : per_lint)
        std::printf("  %-6s warning in %d run(s), error in %d run(s)\n", id.c_str(), n.first, n.second);

    // Per lint: where each run-time row fired.
    std::printf("\nPer lint (runs where it fired; a detection is an effective mutation run that expects it)\n\n");
    std::printf(
        "| lint | mutations expecting it | detections | fired on mutation runs | clean runs (warning / error) "
        "|\n|---|---|---|---|---|\n");
    for (const char* id : {"L1.1", "L1.2", "L1.3", "L1.4", "L2.1", "L2.2", "L2.3", "L3.1", "L4.3", "L5.1", "L5.2", "L6.1", "L6.2",
                           "L8.1", "L8.2", "L9.2", "L9.3", "X6"}) {
        std::set<std::string> expecting;
        int detections = 0, fired = 0, mutation_runs = 0, cw = 0, ce = 0;
        for (const Result& r : results) {
            const auto f = r.o.fired.find(id);
            if (r.c->item == 0) {
                if (f != r.o.fired.end()) (f->second == 2 ? ce : cw)++;
                continue;
            }
            ++mutation_runs;
            const bool expects = std::find(r.c->expected.begin(), r.c->expected.end(), id) != r.c->expected.end();
            if (expects) expecting.insert(r.c->name);
            fired += f != r.o.fired.end();
            detections += expects && r.effective && f != r.o.fired.end();
        }
        std::printf("| %s | %zu | %d | %d of %d | %d / %d |\n", id, expecting.size(), detections, fired, mutation_runs, cw, ce);
    }

    // Per mutation.
    std::printf("\nPer mutation (IDs fired over its runs, ! = error level; metric = test accuracy or R^2, mean over seeds)\n\n");
    std::printf(
        "| mutation | item | mistake | expected | effective | detected | fired | metric (clean) "
        "|\n|---|---|---|---|---|---|---|---|\n");
    for (const Case* c : selected) {
        if (c->item == 0) continue;
        int runs = 0, eff = 0, det = 0;
        std::map<std::string, int> fired_count;
        double m = 0, ref = 0;
        int mn = 0, rn = 0;
        for (const Result& r : results) {
            if (r.c != c) continue;
            ++runs, eff += r.effective, det += r.effective && r.detected;
            for (const auto& [id, sev] : r.o.fired) fired_count[id + (sev == 2 ? "!" : "")]++;
            if (std::isfinite(r.o.metric)) m += r.o.metric, ++mn;
            if (std::isfinite(r.reference)) ref += r.reference, ++rn;
        }
        std::string fired, expected;
        for (const auto& [id, n] : fired_count)
            fired += (fired.empty() ? "" : " ") + id + (n == runs ? "" : "(" + std::to_string(n) + ")");
        for (const auto& id : c->expected) expected += (expected.empty() ? "" : " ") + id;
        char metric[64];
        if (mn)
            std::snprintf(metric, sizeof metric, "%.3f (%.3f)", m / mn, rn ? ref / rn : std::nan(""));
        else
            std::snprintf(metric, sizeof metric, "cannot train (%.3f)", rn ? ref / rn : std::nan(""));
        std::printf("| %s | %d | %s | %s | %d/%d%s | %d/%d | %s | %s |\n", c->name.c_str(), c->item, c->what.c_str(),
                    expected.c_str(), eff, runs, c->by_definition ? " (def.)" : "", det, eff, fired.empty() ? "-" : fired.c_str(),
                    metric);
    }

    // Per clean variant.
    std::printf("\nPer clean variant (findings over its runs; metric mean over seeds, base target in brackets)\n\n");
    std::printf("| variant | base | setup | metric [target] | findings |\n|---|---|---|---|---|\n");
    for (const Case* c : selected) {
        if (c->item != 0) continue;
        int runs = 0, mn = 0;
        double m = 0;
        std::map<std::string, int> fired_count;
        for (const Result& r : results) {
            if (r.c != c) continue;
            ++runs;
            if (std::isfinite(r.o.metric)) m += r.o.metric, ++mn;
            for (const auto& [id, sev] : r.o.fired) fired_count[id + (sev == 2 ? "!" : "")]++;
        }
        std::string fired;
        for (const auto& [id, n] : fired_count)
            fired += (fired.empty() ? "" : " ") + id + "(" + std::to_string(n) + "/" + std::to_string(runs) + ")";
        std::printf("| %s | %s | %s | %.3f [%.2f] | %s |\n", c->name.c_str(), c->base.c_str(), c->what.c_str(),
                    mn ? m / mn : std::nan(""), info(c->base).target, fired.empty() ? "none" : fired.c_str());
    }

    if (show_analysis) analysis(results);

    // Runs with unexpected exceptions, and clean runs below their base's target, are failures:
    // a clean set-up that crashes or stops learning must not pass because nothing fired.
    for (const Result& r : results) {
        if (!r.o.note.empty()) {
            std::printf("FAILED: %s seed %llu threw unexpectedly: %s\n", r.c->name.c_str(),
                        static_cast<unsigned long long>(r.seed), r.o.note.c_str());
            ok = false;
        }
        if (r.c->item == 0 && !(r.o.metric >= info(r.c->base).target)) {
            std::printf("FAILED: clean %s seed %llu misses its base's target: %.3f < %.2f\n", r.c->name.c_str(),
                        static_cast<unsigned long long>(r.seed), r.o.metric, info(r.c->base).target);
            ok = false;
        }
    }

    // One CSV row per run.
    if (!csv.empty()) {
        std::ofstream f(csv);
        f << "kind,case,base,item,seed,expected,fired,end,cannot_train,metric,reference,effective,detected,seconds\n";
        for (const Result& r : results) {
            std::string expected;
            for (const auto& id : r.c->expected) expected += (expected.empty() ? "" : " ") + id;
            f << (r.c->item ? "mutation" : "clean") << ',' << r.c->name << ',' << r.c->base << ',' << r.c->item << ',' << r.seed
              << ',' << csv_escape(expected) << ',' << csv_escape(fired_string(r.o.fired)) << ',' << csv_escape(r.o.end) << ','
              << r.o.cannot_train << ',' << r.o.metric << ',' << r.reference << ','
              << (r.c->item ? std::to_string(r.effective) : "") << ',' << (r.c->item ? std::to_string(r.detected) : "") << ','
              << r.o.seconds << '\n';
        }
        std::printf("\none row per run written to %s\n", csv.string().c_str());
    }
    std::printf("%s in %.0f s\n", ok ? "all targets hold" : "TARGETS MISSED", seconds);
    return ok ? 0 : 1;
}
