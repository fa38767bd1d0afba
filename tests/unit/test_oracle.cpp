// sanenet's training runs against the independent double-precision reference trainer
// (reference_trainer.hpp): the same initial weights, data, batches (no shuffle, no dropout) and
// optimizer, and after the run every parameter must agree to a small fraction of how far
// training moved it. The cases cover every task, every optimizer branch, batch sizes 1-33 with
// partial last batches of 1-15 rows, 1 and 2 threads at shapes where the GEMMs split, widths
// around the SIMD width, every activation (Sigmoid hidden too), LayerNorm (its gain and bias
// compared like the Dense parameters), clipping, the regression losses MAE and Huber, and
// output and class weights. CMake builds this file once per SIMD
// architecture (arch.<arch>.oracle), so each architecture's kernels face the same oracle.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "oracle_cases.hpp"
#include "reference_trainer.hpp"
#include "oracle_reference.hpp"

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

using namespace oracle;

namespace {

// ---- running a case ------------------------------------------------------------------

struct outcome {
    double error = 0.0;  // largest |sanenet - reference| over the parameters / largest |reference update|
    double loss_error = 0.0;  // largest relative difference of an epoch's mean training loss
    double update = 0.0;  // largest |reference update|
    std::string worst;  // where the largest difference is
    std::vector<float> params;  // sanenet's, after training
};

outcome run(const oracle_case& c) {
    const std::size_t inputs = static_cast<std::size_t>(c.specs.front().out),
                      outputs = static_cast<std::size_t>(c.specs.back().out);
    const std::size_t n = c.samples;
    const data d = make_data(c);
    const bool cls = c.task.k == task_kind::classification;
    sn::detail::model m = make_model(c);
    const std::vector<float> start(m.params(), m.params() + m.parameter_count());

    // The reference starts from sanenet's initial weights.
    const std::vector<reference::op> ops = reference_ops(c.specs);
    reference::loss_kind loss = reference_loss(c.task.k);
    reference::loss_options lo;
    if (std::holds_alternative<sn::MAE>(c.loss)) loss = reference::loss_kind::mean_absolute_error;
    if (const auto* h = std::get_if<sn::Huber>(&c.loss)) {
        loss = reference::loss_kind::huber;
        lo.huber_delta = h->delta;
    }
    for (float w : c.task.k == task_kind::classification ? c.class_weights : c.output_weights) lo.weights.push_back(w);
    reference::mlp ref(ops, loss, lo);
    std::vector<const sn::detail::stage*> dense_stages, norm_stages;
    for (const auto& st : m.stages()) {
        if (st.k == kind::dense) dense_stages.push_back(&st);
        if (st.k == kind::layer_norm) norm_stages.push_back(&st);
    }
    REQUIRE(dense_stages.size() == ref.weights.size());
    REQUIRE(norm_stages.size() == ref.norm_gains.size());
    for (std::size_t l = 0; l < dense_stages.size(); ++l) {
        std::copy(m.params() + dense_stages[l]->w, m.params() + dense_stages[l]->w + ref.weights[l].size(),
                  ref.weights[l].begin());
        std::copy(m.params() + dense_stages[l]->b, m.params() + dense_stages[l]->b + ref.biases[l].size(), ref.biases[l].begin());
    }
    // LayerNorm: st.w is the gain, st.b the bias (width values each). They start as
    // torch.nn.LayerNorm's, 1 and 0 (the reference's own start), which the copy would hide.
    for (std::size_t l = 0; l < norm_stages.size(); ++l) {
        const float *gain = m.params() + norm_stages[l]->w, *bias = m.params() + norm_stages[l]->b;
        std::size_t first_off = 0;
        while (first_off < ref.norm_gains[l].size() && static_cast<double>(gain[first_off]) == ref.norm_gains[l][first_off] &&
               static_cast<double>(bias[first_off]) == ref.norm_biases[l][first_off])
            ++first_off;
        INFO(c.name << ": LayerNorm " << l << " starts with gain " << gain[std::min(first_off, ref.norm_gains[l].size() - 1)]
                    << " and bias " << bias[std::min(first_off, ref.norm_gains[l].size() - 1)] << " at " << first_off
                    << " (want 1 and 0)");
        CHECK(first_off == ref.norm_gains[l].size());
        std::copy(m.params() + norm_stages[l]->w, m.params() + norm_stages[l]->w + ref.norm_gains[l].size(),
                  ref.norm_gains[l].begin());
        std::copy(m.params() + norm_stages[l]->b, m.params() + norm_stages[l]->b + ref.norm_biases[l].size(),
                  ref.norm_biases[l].begin());
    }

    const sn::History h = sn::detail::fit_model(m, d.x, d.targets(), fit_options(c), {});
    REQUIRE(h.epochs.size() == static_cast<std::size_t>(c.epochs));

    outcome out;
    for (int e = 0; e < c.epochs; ++e) {
        double loss_sum = 0.0;
        for (std::size_t b = 0; b < n; b += c.batch) {
            const std::size_t rows = std::min(c.batch, n - b);
            std::vector<double> xb(d.x.data() + b * inputs, d.x.data() + (b + rows) * inputs);
            std::vector<double> tb;
            if (cls)
                for (std::size_t i = b; i < b + rows; ++i) tb.push_back(d.labels(i));
            else
                tb.assign(d.values.data() + b * outputs, d.values.data() + (b + rows) * outputs);
            const double clip = c.clip ? static_cast<double>(*c.clip) : 0.0;
            const int rws = static_cast<int>(rows);
            const double l = std::visit(
                [&](const auto& opt) {
                    using O = std::decay_t<decltype(opt)>;
                    if constexpr (std::is_same_v<O, sn::SGD>)
                        return ref.step(xb, tb, rws,
                                        reference::sgd{opt.learning_rate, opt.momentum, opt.weight_decay, opt.nesterov}, clip);
                    else if constexpr (std::is_same_v<O, sn::AdamW>)
                        return ref.step(
                            xb, tb, rws,
                            reference::adam{opt.learning_rate, opt.beta1, opt.beta2, opt.epsilon, opt.weight_decay, true}, clip);
                    else
                        return ref.step(xb, tb, rws,
                                        reference::adam{opt.learning_rate, opt.beta1, opt.beta2, opt.epsilon, 0.0, false}, clip);
                },
                c.optimizer);
            loss_sum += l * static_cast<double>(rows);
        }
        const double mean = loss_sum / static_cast<double>(n);
        out.loss_error = std::max(out.loss_error, std::fabs(h.epochs[static_cast<std::size_t>(e)].train_loss - mean) /
                                                      std::max(1e-12, std::fabs(mean)));
    }

    out.params.assign(m.params(), m.params() + m.parameter_count());
    double diff = 0.0;
    const auto compare = [&](const std::vector<double>& want, std::size_t offset, const std::string& what) {
        for (std::size_t i = 0; i < want.size(); ++i) {
            out.update = std::max(out.update, std::fabs(want[i] - start[offset + i]));
            if (std::fabs(want[i] - out.params[offset + i]) <= diff) continue;
            diff = std::fabs(want[i] - out.params[offset + i]);
            out.worst = what + " " + std::to_string(i) + ": sanenet " + std::to_string(out.params[offset + i]) + ", reference " +
                        std::to_string(want[i]) + ", start " + std::to_string(start[offset + i]);
        }
    };
    for (std::size_t l = 0; l < dense_stages.size(); ++l) {
        compare(ref.weights[l], dense_stages[l]->w, "Dense " + std::to_string(l) + " weight");
        compare(ref.biases[l], dense_stages[l]->b, "Dense " + std::to_string(l) + " bias");
    }
    for (std::size_t l = 0; l < norm_stages.size(); ++l) {
        compare(ref.norm_gains[l], norm_stages[l]->w, "LayerNorm " + std::to_string(l) + " gain");
        compare(ref.norm_biases[l], norm_stages[l]->b, "LayerNorm " + std::to_string(l) + " bias");
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
        // fit uses at most the machine's cores: say so when a 2-thread case could not split.
        const bool clamped = c.threads > sn::kernels::pool_threads();
        std::printf("  %-88s %.2e (loss %.1e)%s\n", c.name.c_str(), o.error, o.loss_error,
                    clamped ? " [ran on 1 thread: 1 core]" : "");
        INFO(c.name << ": parameters differ by " << o.error << " of the update (" << o.update << "), the epoch losses by "
                    << o.loss_error << "; the largest difference: " << o.worst);
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
