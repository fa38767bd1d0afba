// The oracle's cases, shared by tests/unit/test_oracle.cpp (against the double-precision
// reference trainer) and bench/parity.cpp (`make parity`, against PyTorch): networks as
// runtime specs, their data, and sanenet's side of a run (fit without shuffling, from the
// initial weights of Seed 7). Every case is one sn::fit; the replays take the same batches in
// order.
#pragma once

#include <sanenet/sanenet.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace oracle {

namespace sn = sanenet;
using sn::detail::act;
using sn::detail::kind;
using sn::detail::layer_spec;
using sn::detail::task_kind;
using sn::detail::task_spec;

// ---- networks as runtime specs (what Network<...> computes at compile time) ----------

struct item {
    kind k;
    int units;
    act a;
    float param;
};
inline item dense(int units) { return {kind::dense, units, act::identity, 0.f}; }
inline item activation(act a, float param = 0.f) { return {kind::activation, 0, a, param}; }
// torch.nn.LayerNorm(width) over the width it is given.
inline item layer_norm() { return {kind::layer_norm, 0, act::identity, 0.f}; }

inline std::vector<layer_spec> network(int inputs, const std::vector<item>& items) {
    std::vector<layer_spec> specs{{kind::input, 0, inputs, act::identity, sn::detail::init::lecun, 0.f}};
    int width = inputs;
    for (const item& it : items) {
        const int out = it.k == kind::dense ? it.units : width;
        specs.push_back({it.k, width, out, it.a, sn::detail::init::lecun, it.param});
        width = out;
    }
    return specs;
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
    // rounding (see large_net_eps): 7e-5 seen there, 3.8e-5 at most elsewhere (a clipping case's
    // small update; the 784-256-LN-GELU-128-SiLU-10 net keeps 1e-4).
    double tolerance = 1e-4;
    // FitOptions::loss, ::output_weights and ::class_weights (with_loss below).
    sn::Loss loss = sn::MSE{};
    std::vector<float> output_weights = {};
    std::vector<float> class_weights = {};
};

// The case with another loss or weights.
inline oracle_case with_loss(oracle_case c, sn::Loss loss, std::vector<float> output_weights = {},
                             std::vector<float> class_weights = {}) {
    c.loss = loss;
    c.output_weights = std::move(output_weights);
    c.class_weights = std::move(class_weights);
    return c;
}

// Regression 7-33-17-3: k = 7 is no multiple of any width, 33 and 17 lie above 4, 8 and 16, 3 below.
inline std::vector<layer_spec> regression_net() {
    return network(7,
                   {dense(33), activation(act::elu, 1.f), dense(17), activation(act::tanh), dense(3), activation(act::identity)});
}
// Wider regression for rows 1-16 against several blocks of columns: 40-70-36-10.
inline std::vector<layer_spec> wide_regression_net() {
    return network(40, {dense(70), activation(act::relu), dense(36), activation(act::leaky_relu, 0.01f), dense(10),
                        activation(act::identity)});
}
// An activation before the first Dense, two Dense layers in a row (X1 waived), a hidden Sigmoid.
inline std::vector<layer_spec> odd_regression_net() {
    return network(5,
                   {activation(act::tanh), dense(12), dense(16), activation(act::sigmoid), dense(4), activation(act::identity)});
}
inline std::vector<layer_spec> classifier_net() {
    return network(13, {dense(40), activation(act::relu), dense(10), activation(act::softmax)});
}
// The demo's MLP: at batch 3 and up its GEMMs pass the threshold where a second thread joins.
inline std::vector<layer_spec> mnist_net() {
    return network(784, {dense(256), activation(act::relu), dense(128), activation(act::leaky_relu, 0.01f), dense(10),
                         activation(act::softmax)});
}
// The demo's MLP with a LayerNorm and GELU / SiLU: 784-256-LN-GELU-128-SiLU-10.
inline std::vector<layer_spec> mnist_norm_net() {
    return network(784, {dense(256), layer_norm(), activation(act::gelu), dense(128), activation(act::silu), dense(10),
                         activation(act::softmax)});
}
inline std::vector<layer_spec> multilabel_net() {
    return network(9, {dense(24), activation(act::leaky_relu, 0.2f), dense(5), activation(act::sigmoid)});
}
// GELU and SiLU (differentiated through their input, never fused into a Dense): 7-33-GELU-17-SiLU-3.
inline std::vector<layer_spec> gelu_silu_net() {
    return network(7, {dense(33), activation(act::gelu), dense(17), activation(act::silu), dense(3), activation(act::identity)});
}
inline std::vector<layer_spec> gelu_classifier_net() {
    return network(13, {dense(40), activation(act::gelu), dense(10), activation(act::softmax)});
}
inline std::vector<layer_spec> silu_classifier_net() {
    return network(13, {dense(40), activation(act::silu), dense(10), activation(act::softmax)});
}
// LayerNorm between a Dense and its activation, at widths 33 and 17 (no multiple of 4, 8 or 16):
// 7-33-LN-GELU-17-SiLU-3.
inline std::vector<layer_spec> layer_norm_net() {
    return network(7, {dense(33), layer_norm(), activation(act::gelu), dense(17), activation(act::silu), dense(3),
                       activation(act::identity)});
}
// LayerNorm after an activation (the ReLU and the Tanh fuse into their Dense): 7-33-ReLU-LN-17-Tanh-3.
inline std::vector<layer_spec> post_activation_norm_net() {
    return network(7, {dense(33), activation(act::relu), layer_norm(), dense(17), activation(act::tanh), dense(3),
                       activation(act::identity)});
}
// LayerNorm on the inputs (the first stage, whose input gradient nobody needs) and two more
// at widths 70 and 36: 40-LN-70-LN-GELU-36-LN-SiLU-10.
inline std::vector<layer_spec> wide_layer_norm_net() {
    return network(40, {layer_norm(), dense(70), layer_norm(), activation(act::gelu), dense(36), layer_norm(),
                        activation(act::silu), dense(10), activation(act::identity)});
}
// Classification with LayerNorm before an unfused ReLU (its Dense is not next to it): 13-40-LN-ReLU-10.
inline std::vector<layer_spec> layer_norm_classifier_net() {
    return network(13, {dense(40), layer_norm(), activation(act::relu), dense(10), activation(act::softmax)});
}
inline std::vector<layer_spec> layer_norm_multilabel_net() {
    return network(9, {dense(24), layer_norm(), activation(act::silu), dense(5), activation(act::sigmoid)});
}
// A hidden Sigmoid (legal since issue 14, warning L8.3), fused into its Dense: 13-40-Sigmoid-10.
inline std::vector<layer_spec> sigmoid_classifier_net() {
    return network(13, {dense(40), activation(act::sigmoid), dense(10), activation(act::softmax)});
}
// Two hidden Sigmoids, one a stage of its own on the inputs, before a Binary output Sigmoid.
inline std::vector<layer_spec> sigmoid_binary_net() {
    return network(6, {activation(act::sigmoid), dense(20), activation(act::sigmoid), dense(1), activation(act::sigmoid)});
}
inline std::vector<layer_spec> binary_net() {
    return network(6, {dense(20), activation(act::elu, 0.5f), dense(1), activation(act::sigmoid)});
}

inline const task_spec regression{task_kind::regression, 0};
inline const task_spec classes10{task_kind::classification, 10};
inline const task_spec labels5{task_kind::multilabel, 5};
inline const task_spec binary{task_kind::multilabel, 1};

inline sn::SGD sgd(float mu = 0.f, bool nesterov = false, float decay = 0.f) {
    return {.learning_rate = 0.05f, .momentum = mu, .nesterov = nesterov, .weight_decay = decay};
}
inline sn::Adam adam(float eps = 1e-8f) { return {.learning_rate = 0.01f, .epsilon = eps}; }
inline sn::AdamW adamw(float eps = 1e-8f) { return {.learning_rate = 0.01f, .epsilon = eps, .weight_decay = 0.05f}; }
// Adam's first step is lr g / (|g| + eps): about lr whatever |g|, unless |g| is near eps. Among
// the 235k gradients of the 784-input net, a few cancel to ~1e-8 (4e-6 of their terms), and
// their step then depends on float rounding, in any float32 implementation (up to 2e-3 of the
// update with eps = 1e-8). With eps = 1e-4 such steps are lr g / eps, linear in g.
inline constexpr float large_net_eps = 1e-4f;

inline std::vector<oracle_case> cases() {
    return {
        // Every optimizer branch at batches 1-8, partial last batches of 1-6 rows.
        {"regression, SGD, batch 1", regression_net(), regression, sgd(), 1, 6},
        {"regression, SGD momentum, batch 2 (last 1)", regression_net(), regression, sgd(0.9f), 2, 7},
        {"regression, SGD Nesterov, batch 3 (last 2)", regression_net(), regression, sgd(0.9f, true), 3, 11},
        {"regression, SGD momentum + weight decay, batch 4 (last 3)", regression_net(), regression, sgd(0.9f, false, 0.01f), 4,
         15},
        {"regression, SGD Nesterov + weight decay, batch 5 (last 4)", regression_net(), regression, sgd(0.5f, true, 0.02f), 5,
         14},
        {"regression, Adam, batch 5 (last 1)", regression_net(), regression, adam(), 5, 16},
        {"regression, AdamW, batch 8 (last 6)", regression_net(), regression, adamw(), 8, 22},
        // Rows 7-16 against several column blocks (the dot-product path), each optimizer.
        {"wide regression, Adam, batch 16 (last 7)", wide_regression_net(), regression, adam(), 16, 39},
        {"wide regression, SGD momentum, batch 16 (last 9)", wide_regression_net(), regression, sgd(0.9f), 16, 41},
        {"wide regression, AdamW, batch 15 (last 10)", wide_regression_net(), regression, adamw(), 15, 40},
        {"wide regression, SGD, batch 12 (last 11)", wide_regression_net(), regression, sgd(), 12, 35},
        {"odd regression (Tanh first, Dense-Dense, Sigmoid), SGD momentum, batch 5 (last 3)", odd_regression_net(), regression,
         sgd(0.9f), 5, 23},
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
        // GELU and SiLU as hidden activations, regression and classification.
        {"GELU/SiLU regression, SGD momentum, batch 1", gelu_silu_net(), regression, sgd(0.9f), 1, 6},
        {"GELU/SiLU regression, Adam, batch 5 (last 2)", gelu_silu_net(), regression, adam(), 5, 17},
        {"GELU/SiLU regression, SGD Nesterov + weight decay, batch 8 (last 3)", gelu_silu_net(), regression,
         sgd(0.9f, true, 0.01f), 8, 19},
        {"GELU classification, SGD momentum, batch 16 (last 5)", gelu_classifier_net(), classes10, sgd(0.9f), 16, 37},
        {"GELU classification, Adam, batch 1", gelu_classifier_net(), classes10, adam(), 1, 5},
        {"SiLU classification, Adam, batch 7 (last 3)", silu_classifier_net(), classes10, adam(), 7, 24},
        {"SiLU classification, SGD momentum, batch 1", silu_classifier_net(), classes10, sgd(0.9f), 1, 6},
        // LayerNorm: after a Dense, after an activation, on the inputs, widths 7-70; its gain and
        // bias take no weight decay (SGD's and AdamW's decay only the Dense weights).
        {"7-33-LN-GELU-17-SiLU-3, SGD momentum, batch 1", layer_norm_net(), regression, sgd(0.9f), 1, 6},
        {"7-33-LN-GELU-17-SiLU-3, Adam, batch 4 (last 3)", layer_norm_net(), regression, adam(), 4, 15},
        {"7-33-LN-GELU-17-SiLU-3, SGD, batch 16 (last 2)", layer_norm_net(), regression, sgd(), 16, 34},
        {"7-33-LN-GELU-17-SiLU-3, SGD momentum + weight decay, batch 5 (last 4)", layer_norm_net(), regression,
         sgd(0.9f, false, 0.01f), 5, 14},
        {"7-33-LN-GELU-17-SiLU-3, AdamW, batch 8 (last 6)", layer_norm_net(), regression, adamw(), 8, 22},
        {"7-33-ReLU-LN-17-Tanh-3, SGD Nesterov, batch 3 (last 2)", post_activation_norm_net(), regression, sgd(0.9f, true), 3,
         11},
        {"7-33-ReLU-LN-17-Tanh-3, AdamW, batch 2 (last 1)", post_activation_norm_net(), regression, adamw(), 2, 9},
        {"40-LN-70-LN-GELU-36-LN-SiLU-10, Adam, batch 16 (last 7)", wide_layer_norm_net(), regression, adam(), 16, 39},
        {"40-LN-70-LN-GELU-36-LN-SiLU-10, SGD Nesterov + weight decay, batch 6 (last 5)", wide_layer_norm_net(), regression,
         sgd(0.5f, true, 0.02f), 6, 17},
        {"classification 13-40-LN-ReLU-10, Adam, batch 16 (last 14)", layer_norm_classifier_net(), classes10, adam(), 16, 46},
        {"classification 13-40-LN-ReLU-10, AdamW, batch 1", layer_norm_classifier_net(), classes10, adamw(), 1, 5},
        {"multilabel 9-24-LN-SiLU-5, SGD momentum, batch 8 (last 5)", layer_norm_multilabel_net(), labels5, sgd(0.9f), 8, 29},
        // LayerNorm with clipping: its gradients count in the norm.
        {"7-33-LN-GELU-17-SiLU-3, SGD, clipping 0.1, batch 4 (last 2)", layer_norm_net(), regression, sgd(), 4, 14, 2, 1, 0.1f},
        {"40-LN-70-LN-GELU-36-LN-SiLU-10, Adam, clipping 0.5, batch 3 (last 1)", wide_layer_norm_net(), regression, adam(), 3, 13,
         2, 1, 0.5f},
        // The demo's MLP on 1 and 2 threads (GEMMs, packing and the updates split).
        {"784-256-128-10, SGD momentum, batch 33 (last 4), 1 thread", mnist_net(), classes10, sgd(0.9f), 33, 70, 2, 1, {}, 1e-3},
        {"784-256-128-10, SGD momentum, batch 33 (last 4), 2 threads", mnist_net(), classes10, sgd(0.9f), 33, 70, 2, 2, {}, 1e-3},
        {"784-256-128-10, Adam (eps 1e-4), batch 16 (last 12), 2 threads",
         mnist_net(),
         classes10,
         adam(large_net_eps),
         16,
         44,
         1,
         2,
         {},
         1e-3},
        {"784-256-128-10, AdamW (eps 1e-4), batch 3 (last 1), 2 threads",
         mnist_net(),
         classes10,
         adamw(large_net_eps),
         3,
         7,
         1,
         2,
         {},
         1e-3},
        {"784-256-128-10, SGD, clipping 1, batch 33 (last 4), 2 threads", mnist_net(), classes10, sgd(), 33, 70, 1, 2, 1.f, 1e-3},
        // LayerNorm at width 256 after a GEMM that splits between threads, GELU and SiLU at scale.
        {"784-256-LN-GELU-128-SiLU-10, SGD momentum, batch 33 (last 4), 2 threads", mnist_norm_net(), classes10, sgd(0.9f), 33,
         70, 2, 2},
        {"784-256-LN-GELU-128-SiLU-10, AdamW (eps 1e-4), batch 16 (last 6), 2 threads", mnist_norm_net(), classes10,
         adamw(large_net_eps), 16, 38, 1, 2},
        // Hidden Sigmoids (issue 14): fused into a Dense, and a stage of its own on the inputs.
        {"classification 13-40-Sigmoid-10, SGD momentum, batch 8 (last 5)", sigmoid_classifier_net(), classes10, sgd(0.9f), 8,
         29},
        {"binary 6-Sigmoid-20-Sigmoid-1, SGD Nesterov, batch 4 (last 1)", sigmoid_binary_net(), binary, sgd(0.9f, true), 4, 13},
        // The regression losses and their output weights, the class weights (issue 14): fused
        // small-batch updates (up to 6 rows) and the unfused path, every optimizer, clipping.
        with_loss({"regression, MAE, SGD momentum, batch 4 (last 3)", regression_net(), regression, sgd(0.9f), 4, 15}, sn::MAE{}),
        with_loss({"regression, Huber (delta 0.5), Adam, batch 5 (last 2)", regression_net(), regression, adam(), 5, 17},
                  sn::Huber{.delta = 0.5f}),
        with_loss({"regression, Huber (delta 1), SGD Nesterov, batch 1", regression_net(), regression, sgd(0.9f, true), 1, 6},
                  sn::Huber{}),
        with_loss({"regression, MSE, output weights, AdamW, batch 8 (last 6)", regression_net(), regression, adamw(), 8, 22},
                  sn::MSE{}, {1.f, 0.25f, 2.f}),
        with_loss({"regression, MAE, output weights, SGD, batch 3 (last 1)", regression_net(), regression, sgd(), 3, 13},
                  sn::MAE{}, {0.5f, 1.f, 3.f}),
        with_loss({"wide regression, Huber (delta 2), output weights with a 0, Adam, batch 16 (last 7)", wide_regression_net(),
                   regression, adam(), 16, 39},
                  sn::Huber{.delta = 2.f}, {1.f, 0.f, 0.5f, 2.f, 1.f, 1.f, 3.f, 0.25f, 1.f, 1.5f}),
        with_loss({"regression, Huber (delta 0.3), output weights, SGD, clipping 0.1, batch 4 (last 2)", regression_net(),
                   regression, sgd(), 4, 14, 2, 1, 0.1f},
                  sn::Huber{.delta = 0.3f}, {2.f, 1.f, 0.5f}),
        with_loss({"classification, class weights, Adam, batch 16 (last 14)", classifier_net(), classes10, adam(), 16, 46},
                  sn::MSE{}, {}, {1.f, 2.f, 0.5f, 1.f, 4.f, 1.f, 0.25f, 1.f, 3.f, 1.f}),
        // The labels run 3, 0, 7, 4, ...: the first batch of each epoch weighs 0 (loss 0, no
        // gradient), and in epoch 2 momentum still moves the weights there.
        with_loss({"classification, class weights with 0s, SGD Nesterov, batch 3 (last 2; 2 batches weigh 0)", classifier_net(),
                   classes10, sgd(0.9f, true), 3, 20},
                  sn::MSE{}, {}, {0.f, 1.f, 2.f, 0.f, 1.f, 0.5f, 1.f, 0.f, 1.f, 3.f}),
        with_loss({"classification, class weights, SGD momentum + decay, clipping 0.5, batch 16 (last 9)", classifier_net(),
                   classes10, sgd(0.9f, false, 0.01f), 16, 41, 2, 1, 0.5f},
                  sn::MSE{}, {}, {3.f, 1.f, 1.f, 0.5f, 1.f, 2.f, 1.f, 1.f, 0.1f, 1.f}),
        with_loss({"784-256-128-10, class weights, SGD momentum, batch 33 (last 4), 2 threads",
                   mnist_net(),
                   classes10,
                   sgd(0.9f),
                   33,
                   70,
                   1,
                   2,
                   {},
                   1e-3},
                  sn::MSE{}, {}, {1.f, 2.f, 1.f, 0.5f, 1.f, 1.f, 4.f, 1.f, 1.f, 0.25f}),
    };
}

// The inputs (N(0, 1)) and targets of a case: labels for classification, 0/1 for MultiLabel
// and Binary, N(0, 1) for regression.
struct data {
    sn::matrix x, values;
    sn::labels labels;
    sn::detail::targets targets() const {
        return labels.size() ? sn::detail::targets{&labels, nullptr} : sn::detail::targets{nullptr, &values};
    }
};
// The case's data from one random stream: normal inputs and regression targets, 0/1 at 0.4
// for multilabel, and label (i * label_step + label_offset) % classes for row i.
inline data make_data_from(const oracle_case& c, std::uint64_t seed, std::size_t label_step, std::size_t label_offset) {
    const std::size_t n = c.samples, inputs = static_cast<std::size_t>(c.specs.front().out),
                      outputs = static_cast<std::size_t>(c.specs.back().out);
    sn::kernels::rng r(seed);
    data d{sn::matrix::from_shape({n, inputs}), sn::matrix::from_shape({n, outputs}), sn::labels::from_shape({0})};
    for (auto& v : d.x) v = static_cast<float>(r.normal());
    for (auto& v : d.values)
        v = c.task.k == task_kind::multilabel ? (r.uniform() < 0.4 ? 1.f : 0.f) : static_cast<float>(r.normal());
    if (c.task.k == task_kind::classification) {
        d.labels = sn::labels::from_shape({n});
        for (std::size_t i = 0; i < n; ++i) d.labels(i) = static_cast<std::int32_t>((i * label_step + label_offset) % outputs);
    }
    return d;
}
inline data make_data(const oracle_case& c) {
    return make_data_from(c, 1000 + c.samples * 7 + static_cast<std::size_t>(c.specs.back().out), 7, 3);
}

inline sn::FitOptions fit_options(const oracle_case& c) {
    sn::FitOptions o;
    o.epochs = c.epochs;
    o.batch_size = c.batch;
    o.optimizer = c.optimizer;
    o.clip_grad_norm = c.clip;
    o.threads = c.threads;
    o.shuffle = false;
    o.progress = false;
    o.loss = c.loss;
    o.output_weights = c.output_weights;
    o.class_weights = c.class_weights;
    return o;
}

// The case's network with its initial weights (Seed 7).
inline sn::detail::model make_model(const oracle_case& c) { return sn::detail::model(c.specs, c.task, 7); }

}  // namespace oracle
