// The training step over a model: the training-mode forward pass (model::forward), the loss,
// the backward pass through each stage's kind (layers/), gradient clipping and the optimizer
// update. Gradients, optimizer moments and every stage's outputs, gradients and state are
// sized once for the largest batch; a step allocates nothing.
#pragma once

#include <sanenet/core/spec.hpp>
#include <sanenet/core/targets.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/kernels/elementwise.hpp>
#include <sanenet/kernels/gemm.hpp>
#include <sanenet/kernels/optimizer.hpp>
#include <sanenet/kernels/random.hpp>
#include <sanenet/model/model.hpp>
#include <sanenet/train/losses.hpp>
#include <sanenet/train/optimizers.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <variant>
#include <vector>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <type_traits>
#endif

namespace sanenet::inline SANENET_ABI::detail {

// Chooses between one thread and `threads` by timing training steps of a full batch
// (FitOptions::threads = 0): 2 x trials steps alternate between the two counts, then the one
// with the lower median wins (a median, so that the first steps' cold caches and a step the OS
// interrupts do not decide). Small batches can run slower on two cores than on one
// (docs/benchmarks.md: what passing data between the cores costs); the results do not depend on
// the thread count, only the speed does.
class thread_choice {
public:
    static constexpr int trials = 8;
    explicit thread_choice(int threads) : threads_(threads), chosen_(threads), deciding_(threads > 1) {}
    bool deciding() const { return deciding_; }
    // The thread count for the next timed step, or the choice once made.
    int next() const;
    // The time of a step run on next()'s count.
    void record(double seconds);

private:
    int threads_, chosen_, seen_ = 0;
    bool deciding_;
    double one_[trials] = {}, many_[trials] = {};
};

// Training state for one model: gradients, optimizer moments, every stage's outputs,
// gradients and state sized for the largest batch. Built once per fit; a step allocates nothing.
class trainer {
public:
    trainer(model& m, const Optimizer& opt, std::size_t max_batch, int threads, std::uint64_t seed);

    model& net() { return m_; }
    // The learning rate of the configured optimizer, changed in place (the LR range test, the schedules).
    void set_learning_rate(float lr);
    float learning_rate() const { return learning_rate_of(opt_); }
    // Dropout and noise on (training) or off (the doctor's overfit probe).
    void set_regularization(bool on) { regularize_ = on; }
    // The loss of FitOptions (train/losses.hpp); the task's own, unweighted, until set.
    void set_loss(loss_config c) { loss_ = std::move(c); }
    // The weight matrices (one per Dense), in order.
    std::size_t dense_layers() const { return weights_.size(); }
    // L2 norm of the gradient of the i-th weight matrix, from the last step.
    double weight_gradient_norm(std::size_t i) const;
    float* input() { return input_.data(); }
    // Sample src of (x, y) into row `slot` of the batch.
    void load_sample(std::size_t slot, const matrix& x, const targets& y, std::size_t src);
    float* target_values() { return target_values_.data(); }
    std::int32_t* target_labels() { return target_labels_.data(); }
    const float* gradients() const { return grads_.data(); }
    float* gradients() { return grads_.data(); }
    double last_gradient_norm() const { return grad_norm_; }

    // Forward in training mode (dropout and noise on) and backward for `rows` gathered rows;
    // fills the gradients and returns the mean loss. Does not update the parameters.
    double forward_backward(std::size_t rows);

    // The training-mode forward pass and loss only, with the dropout masks and noise the next
    // forward_backward will use (gradient checks compare the two).
    double forward_loss(std::size_t rows);

    // Global gradient-norm clipping as torch.nn.utils.clip_grad_norm_: the gradients are scaled
    // by max_norm / (norm + 1e-6) when that is below 1. Returns true when it scaled them.
    bool clip(float max_norm);

    void update();

    // Times the first full-batch steps on one thread and on all of the trainer's, and goes on
    // with the faster (thread_choice).
    void choose_threads() {
        choice_ = thread_choice(max_threads_);
        threads_ = choice_.next();
    }
    // The thread count of the next step.
    int threads() const { return threads_; }

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
    step_result train_step(std::size_t rows, const std::optional<float>& clip_norm = std::nullopt);

    double step(std::size_t rows, const std::optional<float>& clip_norm = std::nullopt) {
        return train_step(rows, clip_norm).loss;
    }

    // Optimizer state, to save and restore together with the weights on divergence; with the
    // step counter that keys dropout and noise, for checkpoints.
    struct snapshot {
        aligned_buffer<float> params, state1, state2;
        std::uint64_t updates = 0, step = 0;
    };
    void save(snapshot& s) const;
    void restore(const snapshot& s);

private:
    struct weight_matrix {
        std::size_t offset, size, spec;
    };

    // Mean loss over the batch; writes dLoss/d(output of the last stage) into its delta,
    // already through the output activation when the loss fuses it.
    double loss_and_output_gradient(std::size_t rows);

    step_result run_step(std::size_t rows, const std::optional<float>& clip_norm);

    // The backward pass, last stage first, each through its kind; fuse: update the weights as
    // their gradients are formed (train_step).
    void backward(std::size_t rows, const fused_update* fuse);

    // Calls f with the optimizer's per-element rule for this step (weights decay, biases do not).
    template <class F>
    void with_rule(bool is_weight, F&& f) const;

    void apply(const tensor& t);
    static constexpr std::size_t elementwise_grain = 1 << 14;

    void fused_weight_update(const stage& st, const kernels::operand& xt, const float* d, std::size_t rows);

    model& m_;
    Optimizer opt_;
    int threads_, max_threads_;
    std::size_t max_batch_;
    thread_choice choice_{1};
    std::uint64_t seed_;
    std::uint64_t step_ = 0, updates_ = 0;
    double grad_norm_ = 0.0;
    bool regularize_ = true;
    bool last_step_fused_ = false;
    loss_config loss_;
    std::vector<tensor> tensors_;  // every parameter tensor, in order
    std::vector<weight_matrix> weights_;  // the weight matrices, in order
    std::vector<double> fused_norm2_;  // their squared gradient norms in the last fused step
    std::size_t first_parametric_ = 0;
    aligned_buffer<float> grads_, state1_, state2_, input_, target_values_;
    aligned_buffer<std::int32_t> target_labels_;
    std::vector<aligned_buffer<float>> acts_, deltas_, states_;
    std::vector<float*> act_ptrs_, state_ptrs_;
};

}  // namespace sanenet::detail

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE trainer::trainer(model& m, const Optimizer& opt, std::size_t max_batch, int threads, std::uint64_t seed)
    : m_(m),
      opt_(opt),
      threads_(threads),
      max_threads_(threads),
      max_batch_(max_batch),
      seed_(seed) {
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
    states_.resize(st.size());
    for (std::size_t s = 0; s < st.size(); ++s) {
        const std::size_t cells = max_batch * static_cast<std::size_t>(st[s].out);
        acts_[s].resize(cells);
        deltas_[s].resize(cells);
        states_[s].resize(visit_kind(st[s].k, [&]<kind K>() { return layer_ops<K>::state_size(st[s], max_batch); }));
        act_ptrs_.push_back(acts_[s].data());
        state_ptrs_.push_back(states_[s].data());
    }
    input_.resize(max_batch * static_cast<std::size_t>(m.input_size()));
    const std::size_t outs = max_batch * static_cast<std::size_t>(m.output_size());
    target_values_.resize(outs);
    target_labels_.resize(max_batch);
    m.for_each_tensor([&](const stage& s, const tensor& t) {
        tensors_.push_back(t);
        if (t.weight) weights_.push_back({t.offset, t.size(), s.spec});
    });
    fused_norm2_.assign(weights_.size(), 0.0);
    // The first stage with parameters: the stages up to it need no input gradient.
    first_parametric_ = st.size();
    for (std::size_t s = 0; s < st.size(); ++s)
        if (detail::parameter_count(m.specs()[st[s].spec])) {
            first_parametric_ = s;
            break;
        }
}

SANENET_INLINE void trainer::set_learning_rate(float lr) {
    std::visit([lr](auto& o) { o.learning_rate = lr; }, opt_);
}

SANENET_INLINE double trainer::weight_gradient_norm(std::size_t i) const {
    if (last_step_fused_) return std::sqrt(fused_norm2_[i]);
    return std::sqrt(kernels::sum_squares(grads_.data() + weights_[i].offset, weights_[i].size));
}

SANENET_INLINE void trainer::load_sample(std::size_t slot, const matrix& x, const targets& y, std::size_t src) {
    const std::size_t in = static_cast<std::size_t>(m_.input_size()), k = static_cast<std::size_t>(m_.output_size());
    std::memcpy(input_.data() + slot * in, x.data() + src * in, in * sizeof(float));
    if (y.cls)
        target_labels_[slot] = (*y.cls)(src);
    else
        std::memcpy(target_values_.data() + slot * k, y.values->data() + src * k, k * sizeof(float));
}

SANENET_INLINE double trainer::forward_backward(std::size_t rows) {
    const double loss = forward_loss(rows);
    backward(rows, nullptr);
    last_step_fused_ = false;
    return loss;
}

SANENET_INLINE double trainer::forward_loss(std::size_t rows) {
    m_.forward(input_.data(), rows, forward_pass{regularize_, !m_.loss_fuses_output(), threads_, seed_, step_},
               forward_buffers{nullptr, nullptr, nullptr, act_ptrs_.data(), state_ptrs_.data()});
    return loss_and_output_gradient(rows);
}

SANENET_INLINE bool trainer::clip(float max_norm) {
    grad_norm_ = std::sqrt(kernels::sum_squares(grads_.data(), grads_.size()));
    const double scale = max_norm / (grad_norm_ + 1e-6);
    if (!(scale < 1.0)) return false;
    kernels::scale_in_place(grads_.data(), grads_.size(), static_cast<float>(scale));
    return true;
}

SANENET_INLINE void trainer::update() {
    ++updates_;
    for (const tensor& t : tensors_) apply(t);
}

SANENET_INLINE int thread_choice::next() const { return !deciding_ ? chosen_ : seen_ % 2 == 0 ? 1 : threads_; }

SANENET_INLINE void thread_choice::record(double seconds) {
    if (!deciding_) return;
    (seen_ % 2 == 0 ? one_ : many_)[seen_ / 2] = seconds;
    if (++seen_ < 2 * trials) return;
    std::nth_element(one_, one_ + trials / 2, one_ + trials);
    std::nth_element(many_, many_ + trials / 2, many_ + trials);
    chosen_ = many_[trials / 2] < one_[trials / 2] ? threads_ : 1;
    deciding_ = false;
}

SANENET_INLINE trainer::step_result trainer::train_step(std::size_t rows, const std::optional<float>& clip_norm) {
    if (!choice_.deciding() || rows != max_batch_) return run_step(rows, clip_norm);
    const auto t0 = std::chrono::steady_clock::now();
    const step_result r = run_step(rows, clip_norm);
    choice_.record(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    threads_ = choice_.next();  // the next timed step's count, or the choice
    return r;
}

SANENET_INLINE trainer::step_result trainer::run_step(std::size_t rows, const std::optional<float>& clip_norm) {
    if (clip_norm || rows > fused_max_rows) {
        const double loss = forward_backward(rows);
        const bool clipped = clip_norm && clip(*clip_norm);
        update();
        return {loss, clipped};
    }
    const double loss = forward_loss(rows);
    ++updates_;
    const fused_update fuse{this, [](void* self, const stage& st, const kernels::operand& xt, const float* d, std::size_t n) {
                                static_cast<trainer*>(self)->fused_weight_update(st, xt, d, n);
                            }};
    backward(rows, &fuse);
    last_step_fused_ = true;
    for (const tensor& t : tensors_)
        if (!t.weight) apply(t);
    return {loss, false};
}

SANENET_INLINE void trainer::save(snapshot& s) const {
    s.params.resize(m_.parameter_count());
    std::copy(m_.params(), m_.params() + m_.parameter_count(), s.params.data());
    s.state1 = state1_;
    s.state2 = state2_;
    s.updates = updates_;
    s.step = step_;
}

SANENET_INLINE void trainer::restore(const snapshot& s) {
    std::copy(s.params.data(), s.params.data() + s.params.size(), m_.params());
    state1_ = s.state1;
    state2_ = s.state2;
    updates_ = s.updates;
    step_ = s.step;
}

SANENET_INLINE double trainer::loss_and_output_gradient(std::size_t rows) {
    const std::size_t s = m_.stages().size() - 1;
    const float* y = acts_[s].data();
    float* d = deltas_[s].data();
    const std::size_t k = static_cast<std::size_t>(m_.output_size());
    switch (m_.task().k) {
        case task_kind::classification: {
            if (loss_.weights.empty())
                return kernels::softmax_cross_entropy(y, target_labels_.data(), rows, k, d, 1.f / static_cast<float>(rows)) /
                       static_cast<double>(rows);
            // torch.nn.CrossEntropyLoss(weight): divided by the batch's total weight; a batch
            // whose rows all weigh 0 has loss 0 and no gradient (PyTorch's 0 / 0 is NaN).
            const double total = label_weight_sum(loss_.weights.data(), target_labels_.data(), rows);
            const double sum = weighted_cross_entropy_sum(loss_.weights.data(), y, target_labels_.data(), rows, k, d,
                                                          total > 0.0 ? static_cast<float>(1.0 / total) : 0.f);
            return total > 0.0 ? sum / total : 0.0;
        }
        case task_kind::multilabel:
            return kernels::sigmoid_cross_entropy(y, target_values_.data(), rows * k, d, 1.f / static_cast<float>(rows * k)) /
                   static_cast<double>(rows * k);
        case task_kind::regression:
            return regression_loss_sum(loss_, y, target_values_.data(), rows, k, d, 1.f / static_cast<float>(rows * k)) /
                   static_cast<double>(rows * k);
    }
    return 0.0;
}

SANENET_INLINE void trainer::backward(std::size_t rows, const fused_update* fuse) {
    const auto& stages = m_.stages();
    for (std::size_t s = stages.size(); s-- > 0;) {
        const stage& st = stages[s];
        const bool last = s + 1 == stages.size();
        const stage_io io{st,
                          s,
                          rows,
                          s == 0 ? input_.data() : acts_[s - 1].data(),
                          acts_[s].data(),
                          m_.params(),
                          states_[s].data(),
                          regularize_,
                          !(last && m_.loss_fuses_output()),
                          threads_,
                          seed_,
                          step_};
        const grad_io g{deltas_[s].data(), s > first_parametric_ ? deltas_[s - 1].data() : nullptr, grads_.data(), fuse};
        visit_kind(st.k, [&]<kind K>() { layer_ops<K>::backward(io, g); });
    }
    ++step_;
}

template <class F>
void trainer::with_rule(bool is_weight, F&& f) const {
    std::visit(
        [&](const auto& o) {
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
        },
        opt_);
}

SANENET_INLINE void trainer::apply(const tensor& t) {
    float* p = m_.params();
    const std::size_t off = t.offset, n = t.size();
    with_rule(t.weight, [&](const auto& rule) {
        float* s2 = rule.two_states ? state2_.data() + off : nullptr;
        kernels::parallel_for(n >= 2 * elementwise_grain ? threads_ : 1, n, elementwise_grain, [&](std::size_t b, std::size_t e) {
            kernels::apply_update(p + off + b, grads_.data() + off + b, state1_.data() + off + b, s2 ? s2 + b : nullptr, e - b,
                                  rule);
        });
    });
}

SANENET_INLINE void trainer::fused_weight_update(const stage& st, const kernels::operand& xt, const float* d, std::size_t rows) {
    float* p = m_.params();
    std::size_t i = 0;
    while (weights_[i].spec != st.spec) ++i;
    with_rule(true, [&](const auto& rule) {
        fused_norm2_[i] = kernels::rank_k_update(st.in, st.out, static_cast<int>(rows), xt, d, p + st.w, state1_.data() + st.w,
                                                 rule.two_states ? state2_.data() + st.w : nullptr, rule);
    });
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
