// The engine behind every Network type: parameters, inference and the training step.
// It is not a template: Network<...> hands it the constexpr layer specs, so the code
// that does the work is compiled once whatever networks a program declares.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/spec.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/kernels/elementwise.hpp>
#include <sanenet/kernels/gemm.hpp>
#include <sanenet/kernels/optimizer.hpp>
#include <sanenet/kernels/random.hpp>
#include <sanenet/kernels/self_check.hpp>
#include <sanenet/train/optimizers.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace sanenet::detail {

using kernels::aligned_buffer;

// One step of the forward pass: every spec after Input, with a Dense's activation fused in.
struct stage {
    kind k;
    int in, out;
    act a;         // Dense: the fused activation (identity when none follows); activation: itself
    float param;   // activation constant, dropout keep or noise stddev
    std::size_t w = 0, b = 0;  // Dense: offsets of W (in x out, row-major) and b in the parameter buffer
    std::size_t spec = 0;      // index into the specs (Input is 0)
};

class model {
public:
    model(std::span<const layer_spec> specs, task_spec task, std::uint64_t seed) : specs_(specs), task_(task) {
        kernels::verify_simd();
        std::size_t offset = 0;
        for (std::size_t i = 1; i < specs.size(); ++i) {
            const layer_spec& s = specs[i];
            if (s.k == kind::activation && !stages_.empty() && stages_.back().k == kind::dense &&
                stages_.back().spec + 1 == i) {
                stages_.back().a = s.a;
                stages_.back().param = s.param;
                continue;
            }
            stage st{s.k, s.in, s.out, s.k == kind::activation ? s.a : act::identity, s.param, 0, 0, i};
            if (s.k == kind::dense) {
                st.param = 0.f;
                st.w = offset;
                st.b = offset + static_cast<std::size_t>(s.in) * static_cast<std::size_t>(s.out);
                offset = st.b + static_cast<std::size_t>(s.out);
            }
            stages_.push_back(st);
        }
        params_.resize(offset);
        max_width_ = specs.empty() ? 0 : specs[0].out;
        for (const auto& s : specs) max_width_ = std::max(max_width_, s.out);
        initialize(seed);
    }

    std::span<const layer_spec> specs() const { return specs_; }
    const std::vector<stage>& stages() const { return stages_; }
    task_spec task() const { return task_; }
    int input_size() const { return specs_.empty() ? 0 : specs_.front().out; }
    int output_size() const { return stages_.empty() ? 0 : stages_.back().out; }
    int max_width() const { return max_width_; }
    std::size_t parameter_count() const { return params_.size(); }
    float* params() { return params_.data(); }
    const float* params() const { return params_.data(); }
    bool loss_fuses_output() const { return task_.k != task_kind::regression; }

    // Weights from the layer's initializer (article item 9), biases zero.
    void initialize(std::uint64_t seed) {
        kernels::rng r(seed);
        for (const stage& st : stages_) {
            if (st.k != kind::dense) continue;
            const layer_spec& s = specs_[st.spec];
            const double fan_in = s.in, fan_out = s.out;
            double stddev = 0.0;
            switch (s.i) {
                case init::lecun: case init::lecun_uniform: stddev = std::sqrt(1.0 / fan_in); break;
                case init::he: case init::he_uniform: stddev = std::sqrt(2.0 / fan_in); break;
                case init::xavier: case init::xavier_uniform: stddev = std::sqrt(2.0 / (fan_in + fan_out)); break;
                case init::zeros: case init::constant: break;
            }
            const bool uniform = s.i == init::lecun_uniform || s.i == init::he_uniform || s.i == init::xavier_uniform;
            const std::size_t n = static_cast<std::size_t>(s.in) * static_cast<std::size_t>(s.out);
            float* w = params_.data() + st.w;
            for (std::size_t j = 0; j < n; ++j) {
                if (s.i == init::zeros || s.i == init::constant) w[j] = s.param;
                else if (uniform) w[j] = static_cast<float>((2.0 * r.uniform() - 1.0) * std::sqrt(3.0) * stddev);
                else w[j] = static_cast<float>(r.normal() * stddev);
            }
            std::fill(params_.data() + st.b, params_.data() + st.b + s.out, 0.f);
        }
    }

    // Inference on `rows` rows: in (rows x input) -> out (rows x output), output activation
    // applied. ping/pong hold rows x max_width each. Dropout and noise are off. No allocation.
    // visit, when given, sees every stage's output (rows x width) as it is computed.
    using stage_visitor = void (*)(void* ctx, std::size_t stage, const float* out, std::size_t rows);
    void infer(const float* in, std::size_t rows, float* out, float* ping, float* pong, int threads,
               bool apply_output = true, stage_visitor visit = nullptr, void* visit_ctx = nullptr) const {
        const float* cur = in;
        float* bufs[2] = {ping, pong};
        int flip = 0;
        for (std::size_t s = 0; s < stages_.size(); ++s) {
            const stage& st = stages_[s];
            const bool last = s + 1 == stages_.size();
            if (st.k == kind::dropout || st.k == kind::gaussian_noise) {
                if (last) std::copy(cur, cur + rows * static_cast<std::size_t>(st.out), out);
                continue;
            }
            float* dst = last ? out : bufs[flip ^= 1];
            if (st.k == kind::dense) {
                const act fused = (last && !apply_output) || st.a == act::softmax ? act::identity : st.a;
                kernels::gemm(static_cast<int>(rows), st.out, st.in, kernels::row_major(cur, st.in),
                              kernels::row_major(params_.data() + st.w, st.out), dst, st.out,
                              kernels::epilogue{params_.data() + st.b, fused, st.param}, false, threads);
                if (st.a == act::softmax && (!last || apply_output)) kernels::softmax_rows(dst, rows, static_cast<std::size_t>(st.out));
            } else {
                std::copy(cur, cur + rows * static_cast<std::size_t>(st.out), dst);
                if (!last || apply_output) kernels::activation_forward(dst, rows, static_cast<std::size_t>(st.out), st.a, st.param);
            }
            if (visit) visit(visit_ctx, s, dst, rows);
            cur = dst;
        }
    }

private:
    std::span<const layer_spec> specs_;
    task_spec task_;
    std::vector<stage> stages_;
    aligned_buffer<float> params_;
    int max_width_ = 0;
};

// A task's targets, whichever kind: class labels or a samples x outputs matrix.
struct targets {
    const labels* cls = nullptr;
    const matrix* values = nullptr;
    std::size_t rows() const { return cls ? cls->size() : values->shape()[0]; }
};

// Training state for one model: gradients, optimizer moments, per-stage activations and
// gradients sized for the largest batch, and the dropout masks. Built once per fit;
// step() allocates nothing.
class trainer {
public:
    trainer(model& m, const Optimizer& opt, std::size_t max_batch, int threads, std::uint64_t seed)
        : m_(m), opt_(opt), threads_(threads), seed_(seed) {
        if (threads > 1) kernels::prepare_gemm_threads();
        const std::size_t n = m.parameter_count();
        grads_.resize(n);
        state1_.resize(n);
        state2_.resize(std::holds_alternative<SGD>(opt) ? 0 : n);
        state1_.fill(0.f);
        state2_.fill(0.f);
        const auto& st = m.stages();
        acts_.resize(st.size());
        deltas_.resize(st.size());
        masks_.resize(st.size());
        for (std::size_t s = 0; s < st.size(); ++s) {
            const std::size_t cells = max_batch * static_cast<std::size_t>(st[s].out);
            acts_[s].resize(cells);
            deltas_[s].resize(cells);
            if (st[s].k == kind::dropout) masks_[s].resize(cells);
        }
        input_.resize(max_batch * static_cast<std::size_t>(m.input_size()));
        const std::size_t outs = max_batch * static_cast<std::size_t>(m.output_size());
        target_values_.resize(outs);
        target_labels_.resize(max_batch);
        for (const auto& s : st)
            if (s.k == kind::dense) {
                dense_ordinal_.resize(s.spec + 1);
                dense_ordinal_[s.spec] = segments_.size();
                segments_.push_back({s.w, static_cast<std::size_t>(s.in) * static_cast<std::size_t>(s.out), s.b, static_cast<std::size_t>(s.out)});
            }
        fused_norm2_.assign(segments_.size(), 0.0);
        // The first stage whose input gradient is needed: the one after the first Dense.
        first_dense_ = st.size();
        for (std::size_t s = 0; s < st.size(); ++s)
            if (st[s].k == kind::dense) { first_dense_ = s; break; }
    }

    model& net() { return m_; }
    // The learning rate of the configured optimizer, changed in place (the LR range test).
    void set_learning_rate(float lr) {
        std::visit([lr](auto& o) { o.learning_rate = lr; }, opt_);
    }
    // Dropout and noise on (training) or off (the doctor's overfit probe).
    void set_regularization(bool on) { regularize_ = on; }
    std::size_t dense_layers() const { return segments_.size(); }
    // L2 norm of the weight gradient of the i-th Dense layer, from the last step.
    double weight_gradient_norm(std::size_t i) const {
        if (last_step_fused_) return std::sqrt(fused_norm2_[i]);
        return std::sqrt(kernels::sum_squares(grads_.data() + segments_[i].w, segments_[i].wn));
    }
    float* input() { return input_.data(); }
    // Sample src of (x, y) into row `slot` of the batch.
    void load_sample(std::size_t slot, const matrix& x, const targets& y, std::size_t src) {
        const std::size_t in = static_cast<std::size_t>(m_.input_size()), k = static_cast<std::size_t>(m_.output_size());
        std::memcpy(input_.data() + slot * in, x.data() + src * in, in * sizeof(float));
        if (y.cls) target_labels_[slot] = (*y.cls)(src);
        else std::memcpy(target_values_.data() + slot * k, y.values->data() + src * k, k * sizeof(float));
    }
    float* target_values() { return target_values_.data(); }
    std::int32_t* target_labels() { return target_labels_.data(); }
    const float* gradients() const { return grads_.data(); }
    float* gradients() { return grads_.data(); }
    double last_gradient_norm() const { return grad_norm_; }

    // Forward in training mode (dropout and noise on) and backward for `rows` gathered rows;
    // fills the gradients and returns the mean loss. Does not update the parameters.
    double forward_backward(std::size_t rows) {
        const double loss = forward_loss(rows);
        for (std::size_t s = m_.stages().size(); s-- > 0;) backward_stage(s, rows, false);
        ++step_;
        last_step_fused_ = false;
        return loss;
    }

    // The training-mode forward pass and loss only, with the dropout masks and noise the next
    // forward_backward will use (gradient checks compare the two).
    double forward_loss(std::size_t rows) {
        const auto& st = m_.stages();
        const float* cur = input_.data();
        for (std::size_t s = 0; s < st.size(); ++s) {
            forward_stage(s, cur, rows);
            cur = acts_[s].data();
        }
        return loss_and_output_gradient(rows);
    }

    // Global gradient-norm clipping as torch.nn.utils.clip_grad_norm_: the gradients are scaled
    // by max_norm / (norm + 1e-6) when that is below 1. Returns true when it scaled them.
    bool clip(float max_norm) {
        grad_norm_ = std::sqrt(kernels::sum_squares(grads_.data(), grads_.size()));
        const double scale = max_norm / (grad_norm_ + 1e-6);
        if (!(scale < 1.0)) return false;
        kernels::scale_in_place(grads_.data(), grads_.size(), static_cast<float>(scale));
        return true;
    }

    void update() {
        ++updates_;
        float* p = m_.params();
        for (const auto& seg : segments_) {
            apply(p, seg.w, seg.wn, true);
            apply(p, seg.b, seg.bn, false);
        }
    }

    struct step_result {
        double loss;
        bool clipped;
    };
    // A small batch fuses each weight gradient with its update (without clipping, which needs
    // the whole gradient first): there the update dominates the step, and the fused form stops
    // paying at about 8 rows (docs/kernel-tuning.md).
    static constexpr std::size_t fused_max_rows = 6;
    static_assert(fused_max_rows <= kernels::rank_k_max);

    // One training step: forward, backward, clipping when asked, update.
    step_result train_step(std::size_t rows, const std::optional<float>& clip_norm = std::nullopt) {
        if (clip_norm || rows > fused_max_rows) {
            const double loss = forward_backward(rows);
            const bool clipped = clip_norm && clip(*clip_norm);
            update();
            return {loss, clipped};
        }
        const double loss = forward_loss(rows);
        ++updates_;
        for (std::size_t s = m_.stages().size(); s-- > 0;) backward_stage(s, rows, true);
        ++step_;
        last_step_fused_ = true;
        float* p = m_.params();
        for (const auto& seg : segments_) apply(p, seg.b, seg.bn, false);
        return {loss, false};
    }

    double step(std::size_t rows, const std::optional<float>& clip_norm = std::nullopt) { return train_step(rows, clip_norm).loss; }

    // Optimizer state, to save and restore together with the weights on divergence.
    struct snapshot {
        aligned_buffer<float> params, state1, state2;
        std::uint64_t updates = 0;
    };
    void save(snapshot& s) const {
        s.params.resize(m_.parameter_count());
        std::copy(m_.params(), m_.params() + m_.parameter_count(), s.params.data());
        s.state1 = state1_;
        s.state2 = state2_;
        s.updates = updates_;
    }
    void restore(const snapshot& s) {
        std::copy(s.params.data(), s.params.data() + s.params.size(), m_.params());
        state1_ = s.state1;
        state2_ = s.state2;
        updates_ = s.updates;
    }

private:
    struct segment { std::size_t w, wn, b, bn; };

    const float* stage_input(std::size_t s) const { return s == 0 ? input_.data() : acts_[s - 1].data(); }

    void forward_stage(std::size_t s, const float* in, std::size_t rows) {
        const stage& st = m_.stages()[s];
        const bool last = s + 1 == m_.stages().size();
        float* out = acts_[s].data();
        const std::size_t n = rows * static_cast<std::size_t>(st.out);
        switch (st.k) {
            case kind::dense: {
                // The loss is computed from the logits when it fuses the output activation; softmax is a row op.
                const act fused = (last && m_.loss_fuses_output()) || st.a == act::softmax ? act::identity : st.a;
                kernels::gemm(static_cast<int>(rows), st.out, st.in, kernels::row_major(in, st.in),
                              kernels::row_major(m_.params() + st.w, st.out), out, st.out,
                              kernels::epilogue{m_.params() + st.b, fused, st.param}, false, threads_);
                if (st.a == act::softmax && !(last && m_.loss_fuses_output())) kernels::softmax_rows(out, rows, static_cast<std::size_t>(st.out));
                break;
            }
            case kind::activation:
                std::copy(in, in + n, out);
                if (!(last && m_.loss_fuses_output())) kernels::activation_forward(out, rows, static_cast<std::size_t>(st.out), st.a, st.param);
                break;
            case kind::dropout: {
                const std::uint64_t key = kernels::derive_key(seed_, s, step_);
                float* mask = masks_[s].data();
                elementwise(n, [&](std::size_t b, std::size_t e) {
                    std::copy(in + b, in + e, out + b);
                    // Element i's mask depends on (key, i) only: chunks start at their own index.
                    if (regularize_) kernels::dropout_forward(out + b, mask + b, e - b, st.param, key, static_cast<std::uint32_t>(b));
                    else std::fill(mask + b, mask + e, 1.f);
                });
                break;
            }
            case kind::gaussian_noise:
                std::copy(in, in + n, out);
                if (regularize_) kernels::add_gaussian_noise(out, n, st.param, kernels::derive_key(seed_ ^ 0x5eedull, s, step_));
                break;
            case kind::input: break;
        }
    }

    // Mean loss over the batch; writes dLoss/d(output of the last stage) into its delta,
    // already through the output activation when the loss fuses it.
    double loss_and_output_gradient(std::size_t rows) {
        const std::size_t s = m_.stages().size() - 1;
        const float* y = acts_[s].data();
        float* d = deltas_[s].data();
        const std::size_t k = static_cast<std::size_t>(m_.output_size());
        switch (m_.task().k) {
            case task_kind::classification:
                return kernels::softmax_cross_entropy(y, target_labels_.data(), rows, k, d, 1.f / static_cast<float>(rows)) / static_cast<double>(rows);
            case task_kind::multilabel:
                return kernels::sigmoid_cross_entropy(y, target_values_.data(), rows * k, d, 1.f / static_cast<float>(rows * k)) / static_cast<double>(rows * k);
            case task_kind::regression:
                return kernels::squared_error(y, target_values_.data(), rows * k, d, 1.f / static_cast<float>(rows * k)) / static_cast<double>(rows * k);
        }
        return 0.0;
    }

    // fuse: apply the weight update while computing the weight gradient (train_step).
    void backward_stage(std::size_t s, std::size_t rows, bool fuse) {
        const auto& stages = m_.stages();
        const stage& st = stages[s];
        const bool last = s + 1 == stages.size();
        float* d = deltas_[s].data();
        const std::size_t n = rows * static_cast<std::size_t>(st.out);
        const bool fused_by_loss = last && m_.loss_fuses_output();
        const bool need_input_grad = s > first_dense_;
        float* d_in = s > 0 ? deltas_[s - 1].data() : nullptr;
        switch (st.k) {
            case kind::dense: {
                if (!fused_by_loss) activation_gradient(d, acts_[s].data(), rows, st.out, st.a, st.param);
                const kernels::operand x = kernels::transposed(stage_input(s), st.in);
                float* g = grads_.data();
                // db = column sums of dZ; dX = dZ W^T, before a fused update changes W; dW = X^T dZ.
                kernels::column_sums(d, rows, static_cast<std::size_t>(st.out), g + st.b);
                if (need_input_grad)
                    kernels::gemm(static_cast<int>(rows), st.in, st.out, kernels::row_major(d, st.out),
                                  kernels::transposed(m_.params() + st.w, st.out), d_in, st.in, {}, false, threads_);
                if (fuse) fused_weight_update(st, x, d, rows);
                else kernels::gemm(st.in, st.out, static_cast<int>(rows), x, kernels::row_major(d, st.out), g + st.w, st.out, {}, false, threads_);
                break;
            }
            case kind::activation:
                if (!need_input_grad) break;
                std::copy(d, d + n, d_in);
                if (!fused_by_loss) activation_gradient(d_in, acts_[s].data(), rows, st.out, st.a, st.param);
                break;
            case kind::dropout:
                if (!need_input_grad) break;
                elementwise(n, [&](std::size_t b, std::size_t e) {
                    std::copy(d + b, d + e, d_in + b);
                    kernels::multiply_in_place(d_in + b, masks_[s].data() + b, e - b);
                });
                break;
            case kind::gaussian_noise:
                if (need_input_grad) std::copy(d, d + n, d_in);
                break;
            case kind::input: break;
        }
    }

    // d <- d * f'(y); softmax (only as a waived regression output) needs its Jacobian.
    static void activation_gradient(float* d, const float* y, std::size_t rows, int cols, act a, float p) {
        if (a != act::softmax) return kernels::activation_backward(d, y, rows * static_cast<std::size_t>(cols), a, p);
        for (std::size_t r = 0; r < rows; ++r) {
            float* dr = d + r * static_cast<std::size_t>(cols);
            const float* yr = y + r * static_cast<std::size_t>(cols);
            float dot = 0.f;
            for (int j = 0; j < cols; ++j) dot += dr[j] * yr[j];
            for (int j = 0; j < cols; ++j) dr[j] = yr[j] * (dr[j] - dot);
        }
    }

    // Calls f with the optimizer's per-element rule for this step (weights decay, biases do not).
    template <class F>
    void with_rule(bool is_weight, F&& f) const {
        std::visit([&](const auto& o) {
            using O = std::decay_t<decltype(o)>;
            if constexpr (std::is_same_v<O, SGD>) {
                f(kernels::sgd_rule{o.learning_rate, o.momentum, is_weight ? o.weight_decay : 0.f, o.nesterov});
            } else {
                float decay = 0.f;
                if constexpr (std::is_same_v<O, AdamW>) decay = is_weight ? o.weight_decay : 0.f;
                const double t = static_cast<double>(updates_);
                f(kernels::adam_rule(o.learning_rate, o.beta1, o.beta2, o.epsilon,
                                     static_cast<float>(1.0 - std::pow(static_cast<double>(o.beta1), t)),
                                     static_cast<float>(1.0 - std::pow(static_cast<double>(o.beta2), t)), decay));
            }
        }, opt_);
    }

    // Elementwise work on n values, in parallel chunks when it is large (results do not depend on the split).
    template <class F>
    void elementwise(std::size_t n, const F& f) const {
        kernels::parallel_for(n >= 2 * elementwise_grain ? threads_ : 1, n, elementwise_grain, f);
    }
    static constexpr std::size_t elementwise_grain = 1 << 14;

    void apply(float* p, std::size_t off, std::size_t n, bool is_weight) {
        with_rule(is_weight, [&](const auto& rule) {
            float* s2 = rule.two_states ? state2_.data() + off : nullptr;
            elementwise(n, [&](std::size_t b, std::size_t e) {
                kernels::apply_update(p + off + b, grads_.data() + off + b, state1_.data() + off + b, s2 ? s2 + b : nullptr, e - b, rule);
            });
        });
    }

    void fused_weight_update(const stage& st, const kernels::operand& x, const float* d, std::size_t rows) {
        float* p = m_.params();
        with_rule(true, [&](const auto& rule) {
            fused_norm2_[dense_ordinal_[st.spec]] =
                kernels::rank_k_update(st.in, st.out, static_cast<int>(rows), x, d, p + st.w, state1_.data() + st.w,
                                       rule.two_states ? state2_.data() + st.w : nullptr, rule);
        });
    }

    model& m_;
    Optimizer opt_;
    int threads_;
    std::uint64_t seed_;
    std::uint64_t step_ = 0, updates_ = 0;
    double grad_norm_ = 0.0;
    bool regularize_ = true;
    bool last_step_fused_ = false;
    std::vector<std::size_t> dense_ordinal_;  // spec index of a Dense -> its place among the Dense layers
    std::vector<double> fused_norm2_;         // squared weight-gradient norms of the last fused step
    std::size_t first_dense_ = 0;
    aligned_buffer<float> grads_, state1_, state2_, input_, target_values_;
    aligned_buffer<std::int32_t> target_labels_;
    std::vector<aligned_buffer<float>> acts_, deltas_, masks_;
    std::vector<segment> segments_;
};

}  // namespace sanenet::detail

namespace sanenet::detail {

inline void check_predict_one(std::size_t in, std::size_t out, int input_size, int output_size) {
    if (in != static_cast<std::size_t>(input_size) || out != static_cast<std::size_t>(output_size))
        throw shape_error("predict_one: got an input span of " + std::to_string(in) + " values and an output span of " +
                          std::to_string(out) + ", the network takes " + std::to_string(input_size) + " and gives " +
                          std::to_string(output_size));
}

inline void check_input_width(const char* where, std::size_t rows, std::size_t cols, int input_size) {
    if (cols != static_cast<std::size_t>(input_size))
        throw shape_error(std::string(where) + ": x has shape " + shape_string(rows, cols) + " but the network's Input<" +
                          std::to_string(input_size) + "> expects " + shape_string(rows, static_cast<std::size_t>(input_size)));
}

// Batched inference into a new matrix, in chunks so the workspaces stay small.
inline xt::xtensor<float, 2> predict(const model& m, const xt::xtensor<float, 2>& x, int threads, bool apply_output = true) {
    const std::size_t rows = x.shape()[0];
    check_input_width("predict", rows, x.shape()[1], m.input_size());
    xt::xtensor<float, 2> out = xt::xtensor<float, 2>::from_shape({rows, static_cast<std::size_t>(m.output_size())});
    constexpr std::size_t chunk = 256;
    const std::size_t ws = std::min(rows, chunk) * static_cast<std::size_t>(m.max_width());
    aligned_buffer<float> ping(ws), pong(ws);
    const int t = kernels::resolve_threads(threads);
    for (std::size_t r = 0; r < rows; r += chunk) {
        const std::size_t n = std::min(chunk, rows - r);
        m.infer(x.data() + r * static_cast<std::size_t>(m.input_size()), n, out.data() + r * static_cast<std::size_t>(m.output_size()),
                ping.data(), pong.data(), t, apply_output);
    }
    return out;
}

}  // namespace sanenet::detail
