// sanenet's training runs against the independent double-precision reference trainer
// (reference_trainer.hpp): the same initial weights, data, batches (no shuffle, no dropout) and
// optimizer, and after the run every parameter must agree to a small fraction of how far
// training moved it. The cases cover every task, every optimizer branch, batch sizes 1-33 with
// partial last batches of 1-15 rows, 1 and 2 threads at shapes where the GEMMs split, widths
// around the SIMD width, every activation and clipping. CMake builds this file once per SIMD
// architecture (arch.<arch>.oracle), so each architecture's kernels face the same oracle.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "reference_trainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace sn = sanenet;
using sn::detail::act;
using sn::detail::kind;
using sn::detail::layer_spec;
using sn::detail::task_kind;
using sn::detail::task_spec;

namespace {

// ---- networks as runtime specs (what Network<...> computes at compile time) ----------

struct item {
    kind k;
    int units;
    act a;
    float param;
};
item dense(int units) { return {kind::dense, units, act::identity, 0.f}; }
item activation(act a, float param = 0.f) { return {kind::activation, 0, a, param}; }

std::vector<layer_spec> network(int inputs, const std::vector<item>& items) {
    std::vector<layer_spec> specs{{kind::input, 0, inputs, act::identity, sn::detail::init::lecun, 0.f}};
    int width = inputs;
    for (const item& it : items) {
        const int out = it.k == kind::dense ? it.units : width;
        specs.push_back({it.k, width, out, it.a, sn::detail::init::lecun, it.param});
        width = out;
    }
    return specs;
}

reference::op_kind reference_kind(act a) {
    switch (a) {
        case act::identity: return reference::op_kind::identity;
        case act::relu: return reference::op_kind::relu;
        case act::leaky_relu: return reference::op_kind::leaky_relu;
        case act::elu: return reference::op_kind::elu;
        case act::tanh: return reference::op_kind::tanh;
        case act::sigmoid: return reference::op_kind::sigmoid;
        case act::softmax: return reference::op_kind::softmax;
    }
    throw std::logic_error("unknown activation");
}

// ---- the cases -----------------------------------------------------------------------

struct oracle_case {
    std::string name;
    std::vector<layer_spec> specs;
    task_spec task;
    sn::Optimizer optimizer;
    std::size_t batch;
    std::size_t samples;
    int epochs = 2;
    int threads = 1;
    std::optional<float> clip = std::nullopt;
    // Of the largest update. The 784-input net's ReLUs and Adam's normalized steps amplify float
    // rounding (see large_net_eps): 7e-5 seen there, 3e-5 at most elsewhere.
    double tolerance = 1e-4;
};

// Regression 7-33-17-3: k = 7 is no multiple of any width, 33 and 17 lie above 4, 8 and 16, 3 below.
std::vector<layer_spec> regression_net() {
    return network(7, {dense(33), activation(act::elu, 1.f), dense(17), activation(act::tanh), dense(3), activation(act::identity)});
}
// Wider regression for rows 1-16 against several blocks of columns: 40-70-36-10.
std::vector<layer_spec> wide_regression_net() {
    return network(40, {dense(70), activation(act::relu), dense(36), activation(act::leaky_relu, 0.01f), dense(10), activation(act::identity)});
}
// An activation before the first Dense, two Dense layers in a row (X1 waived), a hidden Sigmoid.
std::vector<layer_spec> odd_regression_net() {
    return network(5, {activation(act::tanh), dense(12), dense(16), activation(act::sigmoid), dense(4), activation(act::identity)});
}
std::vector<layer_spec> classifier_net() { return network(13, {dense(40), activation(act::relu), dense(10), activation(act::softmax)}); }
// The demo's MLP: at batch 3 and up its GEMMs pass the threshold where a second thread joins.
std::vector<layer_spec> mnist_net() {
    return network(784, {dense(256), activation(act::relu), dense(128), activation(act::leaky_relu, 0.01f), dense(10), activation(act::softmax)});
}
std::vector<layer_spec> multilabel_net() {
    return network(9, {dense(24), activation(act::leaky_relu, 0.2f), dense(5), activation(act::sigmoid)});
}
std::vector<layer_spec> binary_net() { return network(6, {dense(20), activation(act::elu, 0.5f), dense(1), activation(act::sigmoid)}); }

const task_spec regression{task_kind::regression, 0};
const task_spec classes10{task_kind::classification, 10};
const task_spec labels5{task_kind::multilabel, 5};
const task_spec binary{task_kind::multilabel, 1};

sn::SGD sgd(float mu = 0.f, bool nesterov = false, float decay = 0.f) { return {.learning_rate = 0.05f, .momentum = mu, .nesterov = nesterov, .weight_decay = decay}; }
sn::Adam adam(float eps = 1e-8f) { return {.learning_rate = 0.01f, .epsilon = eps}; }
sn::AdamW adamw(float eps = 1e-8f) { return {.learning_rate = 0.01f, .epsilon = eps, .weight_decay = 0.05f}; }
// Adam's first step is lr g / (|g| + eps): about lr whatever |g|, unless |g| is near eps. Among
// the 235k gradients of the 784-input net, a few cancel to ~1e-8 (4e-6 of their terms), and
// their step then depends on float rounding, in any float32 implementation (up to 2e-3 of the
// update with eps = 1e-8). With eps = 1e-4 such steps are lr g / eps, linear in g.
constexpr float large_net_eps = 1e-4f;

std::vector<oracle_case> cases() {
    return {
        // Every optimizer branch at batches 1-8, partial last batches of 1-6 rows.
        {"regression, SGD, batch 1", regression_net(), regression, sgd(), 1, 6},
        {"regression, SGD momentum, batch 2 (last 1)", regression_net(), regression, sgd(0.9f), 2, 7},
        {"regression, SGD Nesterov, batch 3 (last 2)", regression_net(), regression, sgd(0.9f, true), 3, 11},
        {"regression, SGD momentum + weight decay, batch 4 (last 3)", regression_net(), regression, sgd(0.9f, false, 0.01f), 4, 15},
        {"regression, SGD Nesterov + weight decay, batch 5 (last 4)", regression_net(), regression, sgd(0.5f, true, 0.02f), 5, 14},
        {"regression, Adam, batch 5 (last 1)", regression_net(), regression, adam(), 5, 16},
        {"regression, AdamW, batch 8 (last 6)", regression_net(), regression, adamw(), 8, 22},
        // Rows 7-16 against several column blocks (the dot-product path), each optimizer.
        {"wide regression, Adam, batch 16 (last 7)", wide_regression_net(), regression, adam(), 16, 39},
        {"wide regression, SGD momentum, batch 16 (last 9)", wide_regression_net(), regression, sgd(0.9f), 16, 41},
        {"wide regression, AdamW, batch 15 (last 10)", wide_regression_net(), regression, adamw(), 15, 40},
        {"wide regression, SGD, batch 12 (last 11)", wide_regression_net(), regression, sgd(), 12, 35},
        {"odd regression (Tanh first, Dense-Dense, Sigmoid), SGD momentum, batch 5 (last 3)", odd_regression_net(), regression, sgd(0.9f), 5, 23},
        {"regression ending in Tanh (L7.1 waived), Adam, batch 4 (last 2)",
         network(4, {dense(19), activation(act::relu), dense(2), activation(act::tanh)}), regression, adam(), 4, 18},
        {"regression ending in Softmax (L7.1 waived), SGD, batch 8 (last 3)",
         network(4, {dense(8), activation(act::elu, 1.f), dense(3), activation(act::softmax)}), regression, sgd(), 8, 19},
        // Classification, 10 outputs (the narrow GEMM path).
        {"classification, Adam, batch 16 (last 14)", classifier_net(), classes10, adam(), 16, 46},
        {"classification, SGD Nesterov, batch 8 (last 4)", classifier_net(), classes10, sgd(0.9f, true), 8, 20},
        {"classification, SGD, batch 16 (last 13)", classifier_net(), classes10, sgd(), 16, 29},
        {"classification, AdamW, batch 16 (last 15)", classifier_net(), classes10, adamw(), 16, 31},
        {"classification, Adam, batch 1", classifier_net(), classes10, adam(), 1, 5},
        // MultiLabel and Binary (sigmoid cross-entropy).
        {"multilabel, Adam, batch 8 (last 5)", multilabel_net(), labels5, adam(), 8, 29},
        {"multilabel, SGD, batch 1", multilabel_net(), labels5, sgd(), 1, 5},
        {"binary, SGD Nesterov + weight decay, batch 2 (last 1)", binary_net(), binary, sgd(0.9f, true, 0.01f), 2, 9},
        {"binary, AdamW, batch 33 (last 7)", binary_net(), binary, adamw(), 33, 40},
        // Clipping on: the unfused small-batch path, and with Adam.
        {"regression, SGD, clipping 0.1, batch 4 (last 2)", regression_net(), regression, sgd(), 4, 14, 2, 1, 0.1f},
        {"classification, Adam, clipping 0.5, batch 16 (last 9)", classifier_net(), classes10, adam(), 16, 41, 2, 1, 0.5f},
        // The demo's MLP on 1 and 2 threads (GEMMs, packing and the updates split).
        {"784-256-128-10, SGD momentum, batch 33 (last 4), 1 thread", mnist_net(), classes10, sgd(0.9f), 33, 70, 2, 1, {}, 1e-3},
        {"784-256-128-10, SGD momentum, batch 33 (last 4), 2 threads", mnist_net(), classes10, sgd(0.9f), 33, 70, 2, 2, {}, 1e-3},
        {"784-256-128-10, Adam (eps 1e-4), batch 16 (last 12), 2 threads", mnist_net(), classes10, adam(large_net_eps), 16, 44, 1, 2, {}, 1e-3},
        {"784-256-128-10, AdamW (eps 1e-4), batch 3 (last 1), 2 threads", mnist_net(), classes10, adamw(large_net_eps), 3, 7, 1, 2, {}, 1e-3},
        {"784-256-128-10, SGD, clipping 1, batch 33 (last 4), 2 threads", mnist_net(), classes10, sgd(), 33, 70, 1, 2, 1.f, 1e-3},
    };
}

// ---- running a case ------------------------------------------------------------------

struct outcome {
    double error = 0.0;        // largest |sanenet - reference| over the parameters / largest |reference update|
    double loss_error = 0.0;   // largest relative difference of an epoch's mean training loss
    double update = 0.0;       // largest |reference update|
    std::string worst;         // where the largest difference is
    std::vector<float> params; // sanenet's, after training
};

outcome run(const oracle_case& c) {
    const int inputs = c.specs.front().out, outputs = c.specs.back().out;
    const std::size_t n = c.samples;
    sn::kernels::rng r(1000 + n * 7 + static_cast<std::size_t>(outputs));
    sn::matrix x = sn::matrix::from_shape({n, static_cast<std::size_t>(inputs)});
    for (auto& v : x) v = static_cast<float>(r.normal());
    sn::matrix values = sn::matrix::from_shape({n, static_cast<std::size_t>(outputs)});
    sn::labels labels = sn::labels::from_shape({n});
    for (std::size_t i = 0; i < n; ++i) labels(i) = static_cast<std::int32_t>((i * 7 + 3) % static_cast<std::size_t>(outputs));
    for (auto& v : values) v = c.task.k == task_kind::multilabel ? (r.uniform() < 0.4 ? 1.f : 0.f) : static_cast<float>(r.normal());
    const bool cls = c.task.k == task_kind::classification;

    sn::detail::model m(c.specs, c.task, 7);
    const std::vector<float> start(m.params(), m.params() + m.parameter_count());

    // The reference starts from sanenet's initial weights.
    std::vector<reference::op> ops;
    for (std::size_t i = 1; i < c.specs.size(); ++i) {
        const layer_spec& s = c.specs[i];
        ops.push_back({s.k == kind::dense ? reference::op_kind::dense : reference_kind(s.a), s.in, s.out, static_cast<double>(s.param)});
    }
    const reference::loss_kind loss = c.task.k == task_kind::regression       ? reference::loss_kind::mean_squared_error
                                      : c.task.k == task_kind::classification ? reference::loss_kind::cross_entropy
                                                                              : reference::loss_kind::binary_cross_entropy;
    reference::mlp ref(ops, loss);
    std::vector<const sn::detail::stage*> dense_stages;
    for (const auto& st : m.stages())
        if (st.k == kind::dense) dense_stages.push_back(&st);
    REQUIRE(dense_stages.size() == ref.weights.size());
    for (std::size_t d = 0; d < dense_stages.size(); ++d) {
        std::copy(m.params() + dense_stages[d]->w, m.params() + dense_stages[d]->w + ref.weights[d].size(), ref.weights[d].begin());
        std::copy(m.params() + dense_stages[d]->b, m.params() + dense_stages[d]->b + ref.biases[d].size(), ref.biases[d].begin());
    }

    sn::FitOptions o;
    o.epochs = c.epochs;
    o.batch_size = c.batch;
    o.optimizer = c.optimizer;
    o.clip_grad_norm = c.clip;
    o.threads = c.threads;
    o.shuffle = false;
    o.progress = false;
    const sn::History h = sn::detail::fit_model(m, x, cls ? sn::detail::targets{&labels, nullptr} : sn::detail::targets{nullptr, &values}, o, {});
    REQUIRE(h.epochs.size() == static_cast<std::size_t>(c.epochs));

    outcome out;
    for (int e = 0; e < c.epochs; ++e) {
        double loss_sum = 0.0;
        for (std::size_t b = 0; b < n; b += c.batch) {
            const std::size_t rows = std::min(c.batch, n - b);
            std::vector<double> xb(x.data() + b * static_cast<std::size_t>(inputs), x.data() + (b + rows) * static_cast<std::size_t>(inputs));
            std::vector<double> tb;
            if (cls)
                for (std::size_t i = b; i < b + rows; ++i) tb.push_back(labels(i));
            else
                tb.assign(values.data() + b * static_cast<std::size_t>(outputs), values.data() + (b + rows) * static_cast<std::size_t>(outputs));
            const double clip = c.clip ? static_cast<double>(*c.clip) : 0.0;
            const int rws = static_cast<int>(rows);
            const double l = std::visit(
                [&](const auto& opt) {
                    using O = std::decay_t<decltype(opt)>;
                    if constexpr (std::is_same_v<O, sn::SGD>)
                        return ref.step(xb, tb, rws, reference::sgd{opt.learning_rate, opt.momentum, opt.weight_decay, opt.nesterov}, clip);
                    else if constexpr (std::is_same_v<O, sn::AdamW>)
                        return ref.step(xb, tb, rws, reference::adam{opt.learning_rate, opt.beta1, opt.beta2, opt.epsilon, opt.weight_decay, true}, clip);
                    else
                        return ref.step(xb, tb, rws, reference::adam{opt.learning_rate, opt.beta1, opt.beta2, opt.epsilon, 0.0, false}, clip);
                },
                c.optimizer);
            loss_sum += l * static_cast<double>(rows);
        }
        const double mean = loss_sum / static_cast<double>(n);
        out.loss_error = std::max(out.loss_error, std::fabs(h.epochs[static_cast<std::size_t>(e)].train_loss - mean) / std::max(1e-12, std::fabs(mean)));
    }

    out.params.assign(m.params(), m.params() + m.parameter_count());
    double diff = 0.0;
    for (std::size_t d = 0; d < dense_stages.size(); ++d) {
        const auto compare = [&](const std::vector<double>& want, std::size_t offset, const char* what) {
            for (std::size_t i = 0; i < want.size(); ++i) {
                out.update = std::max(out.update, std::fabs(want[i] - start[offset + i]));
                if (std::fabs(want[i] - out.params[offset + i]) <= diff) continue;
                diff = std::fabs(want[i] - out.params[offset + i]);
                out.worst = "Dense " + std::to_string(d) + " " + what + " " + std::to_string(i) + ": sanenet " +
                            std::to_string(out.params[offset + i]) + ", reference " + std::to_string(want[i]) + ", start " +
                            std::to_string(start[offset + i]);
            }
        };
        compare(ref.weights[d], dense_stages[d]->w, "weight");
        compare(ref.biases[d], dense_stages[d]->b, "bias");
    }
    out.error = out.update > 0.0 ? diff / out.update : 1.0;
    return out;
}

}  // namespace

TEST_CASE("training matches the double-precision reference trainer in every case") {
    const auto all = cases();
    std::printf("oracle on %s (%zu floats per vector): largest parameter difference / largest update\n", sn::kernels::arch_name(),
                sn::kernels::width);
    double worst = 0.0;
    std::vector<std::vector<float>> mnist_momentum;
    for (const oracle_case& c : all) {
        const outcome o = run(c);
        std::printf("  %-88s %.2e (loss %.1e)\n", c.name.c_str(), o.error, o.loss_error);
        INFO(c.name << ": parameters differ by " << o.error << " of the update (" << o.update << "), the epoch losses by " << o.loss_error
                    << "; the largest difference: " << o.worst);
        CHECK(o.update > 1e-3);
        CHECK(o.error < c.tolerance);
        CHECK(o.loss_error < 1e-4);
        worst = std::max(worst, o.error);
        if (c.name.starts_with("784-256-128-10, SGD momentum")) mnist_momentum.push_back(o.params);
    }
    std::printf("oracle: %zu cases, worst %.2e\n", all.size(), worst);
    // The split between threads changes no bit of the result.
    REQUIRE(mnist_momentum.size() == 2);
    CHECK(std::memcmp(mnist_momentum[0].data(), mnist_momentum[1].data(), mnist_momentum[0].size() * sizeof(float)) == 0);
}
