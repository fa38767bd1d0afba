// The model behind every Network type: the stages, the parameters, their initialization and
// the one forward pass, for inference and for training. It is not a template: Network<...>
// hands it the constexpr layer specs, so the code that does the work is compiled once
// whatever networks a program declares. Each stage's work is its kind's (layers/).
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/spec.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/kernels/self_check.hpp>
#include <sanenet/layers/layers.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>
#if SANENET_DEFINITIONS
#include <atomic>
#include <cmath>
#endif

namespace sanenet::inline SANENET_ABI::detail {

using kernels::aligned_buffer;

// How a forward pass runs. Inference: regularizers off, the output activation applied.
// A stage's forward pass run in place of its kind's (a quantized model's bf16 Dense,
// model/quantized.hpp): run returns true when it computed io.out, false to leave it to the kind.
struct stage_override {
    bool (*run)(const void* ctx, const stage_io& io);
    const void* ctx;
};

struct forward_pass {
    bool regularize = false;  // dropout and noise on
    bool apply_output = true;  // false: stop at the logits (the loss fuses the output activation)
    int threads = 1;
    std::uint64_t seed = 0, step = 0;  // the random streams of dropout and noise
    const stage_override* replace = nullptr;
};

// Where a forward pass writes. Inference: two alternating workspaces of rows x max_width,
// and `out`. Training: every stage's output in its own buffer, kept for the backward pass,
// and every stage's state (layer_ops::state_size).
struct forward_buffers {
    float* out = nullptr;
    float* ping = nullptr;
    float* pong = nullptr;
    float* const* outputs = nullptr;
    float* const* states = nullptr;
};

// Who is using a model (docs/reliability.md, "Threads"): any number of readers (predict,
// predict_one, evaluate, save, export_npy, doctor, find_learning_rate) at once, or one writer
// (fit, load). The public calls take a read_use or a write_use for as long as they run; one that
// would break the rule is refused with an argument_error, never waited for. The word counts
// the readers, and its top bit is the writer. A copy of a model starts unused.
struct use_word {
    std::uint32_t value = 0;
    use_word() = default;
    use_word(const use_word&) noexcept {}
    use_word& operator=(const use_word&) noexcept { return *this; }
};

// A Standardizer's statistics carried by the model (Network::attach_input_scaler and
// attach_target_scaler): raw inputs enter as (x - mean) / scale, predictions leave as
// y * scale + mean, each computed as sn::Standardizer computes it. Empty: none attached.
struct scaler {
    std::vector<float> mean, scale;
    bool empty() const { return mean.empty(); }
    std::size_t size() const { return mean.size(); }
    friend bool operator==(const scaler&, const scaler&) = default;
};

// rows x s.size() values of in, standardized into out (out may be in).
SANENET_INLINE void standardize_rows(const scaler& s, const float* in, std::size_t rows, float* out);
// rows x s.size() standardized values back into the scaler's units, in place.
SANENET_INLINE void destandardize_rows(const scaler& s, float* y, std::size_t rows);

class model {
public:
    model(std::span<const layer_spec> specs, task_spec task, std::uint64_t seed);
    // Copies and moves defined once (in the definitions), not in every TU that copies a network.
    model(const model&);
    model(model&&) noexcept;
    model& operator=(const model&);
    model& operator=(model&&) noexcept;

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

    // The scalers attached to the model (empty when none). set_* check the width against the
    // input or output width and the values (finite, scales > 0), naming `where` in the error.
    const scaler& input_scaler() const { return input_scaler_; }
    const scaler& target_scaler() const { return target_scaler_; }
    bool has_scalers() const { return !input_scaler_.empty() || !target_scaler_.empty(); }
    void set_input_scaler(scaler s, const char* where);
    void set_target_scaler(scaler s, const char* where);
    void clear_scalers() { input_scaler_ = {}, target_scaler_ = {}; }

    // Every parameter tensor, stage by stage: f(stage, tensor).
    template <class F>
    void for_each_tensor(F&& f) const {
        for (const stage& st : stages_)
            visit_kind(st.k, [&]<kind K>() { layer_ops<K>::tensors(specs_[st.spec], st, [&](const tensor& t) { f(st, t); }); });
    }

    // Every layer's parameters from its kind's initializer (Dense: article item 9, biases zero).
    void initialize(std::uint64_t seed);

    // The forward pass on `rows` rows of `in` (rows x input). No allocation.
    // visit, when given, sees every stage's output (rows x width) as it is computed.
    using stage_visitor = void (*)(void* ctx, std::size_t stage, const float* out, std::size_t rows);
    void forward(const float* in, std::size_t rows, const forward_pass& pass, const forward_buffers& buf,
                 stage_visitor visit = nullptr, void* visit_ctx = nullptr) const;

    // Inference: in (rows x input) -> out (rows x output), the output activation applied unless
    // apply_output is false; ping and pong hold rows x max_width each.
    void infer(const float* in, std::size_t rows, float* out, float* ping, float* pong, int threads, bool apply_output = true,
               stage_visitor visit = nullptr, void* visit_ctx = nullptr, const stage_override* replace = nullptr) const {
        forward(in, rows, forward_pass{false, apply_output, threads, 0, 0, replace}, forward_buffers{out, ping, pong}, visit,
                visit_ctx);
    }

    use_word& use() const { return use_; }

    // Inference in the user's units: raw inputs standardized by the input scaler (into pong,
    // which the first stage reads before any stage writes it), the output activation applied,
    // the predictions taken back to the targets' units by the target scaler. Without scalers,
    // infer itself. No allocation.
    void infer_raw(const float* in, std::size_t rows, float* out, float* ping, float* pong, int threads,
                   const stage_override* replace = nullptr) const;

private:
    mutable use_word use_;
    std::span<const layer_spec> specs_;
    task_spec task_;
    std::vector<stage> stages_;
    aligned_buffer<float> params_;
    int max_width_ = 0;
    scaler input_scaler_, target_scaler_;
};

// Registers a reader of m (`call` names it in the message), or refuses while a writer runs.
SANENET_INLINE void begin_read(const model& m, const char* call);
SANENET_INLINE void end_read(const model& m) noexcept;
// Registers the writer of m, or refuses while anyone else uses it.
SANENET_INLINE void begin_write(const model& m, const char* call);
SANENET_INLINE void end_write(const model& m) noexcept;

// A read or a write of a model for as long as the object lives (the public calls' guards).
class read_use {
public:
    read_use(const model& m, const char* call) : m_(m) { begin_read(m, call); }
    ~read_use() { end_read(m_); }
    read_use(const read_use&) = delete;
    read_use& operator=(const read_use&) = delete;

private:
    const model& m_;
};
class write_use {
public:
    write_use(const model& m, const char* call) : m_(m) { begin_write(m, call); }
    ~write_use() { end_write(m_); }
    write_use(const write_use&) = delete;
    write_use& operator=(const write_use&) = delete;

private:
    const model& m_;
};

SANENET_INLINE void check_predict_one(std::size_t in, std::size_t out, int input_size, int output_size);

// predict_one's two workspaces when they do not go on the stack: this thread's, of at least
// `width` floats, allocated on its first call and grown for a wider network.
SANENET_INLINE std::pair<float*, float*> row_workspaces(std::size_t width);
SANENET_INLINE void check_input_width(const char* where, std::size_t rows, std::size_t cols, int input_size);

// Batched inference into a new matrix, in chunks so the workspaces stay small. The model's
// scalers are not applied: x is what the network computes on.
SANENET_INLINE xt::xtensor<float, 2> predict(const model& m, const xt::xtensor<float, 2>& x, int threads,
                                             bool apply_output = true);

// Network::predict: the same on raw inputs, in the targets' units (model::infer_raw).
SANENET_INLINE xt::xtensor<float, 2> predict_raw(const model& m, const xt::xtensor<float, 2>& x, int threads);

#if SANENET_DEFINITIONS
SANENET_INLINE model::model(std::span<const layer_spec> specs, task_spec task, std::uint64_t seed) : specs_(specs), task_(task) {
    kernels::verify_simd();
    std::size_t offset = 0;
    for (std::size_t i = 1; i < specs.size(); ++i) {
        const layer_spec& s = specs[i];
        // A Dense runs the activation after it in its epilogue when the backward pass needs only the output.
        if (s.k == kind::activation && derivative_from_output(s.a) && !stages_.empty() && stages_.back().k == kind::dense &&
            stages_.back().spec + 1 == i) {
            stages_.back().a = s.a;
            stages_.back().param = s.param;
            continue;
        }
        stage st{s.k, s.in, s.out, s.k == kind::activation ? s.a : act::identity, s.k == kind::dense ? 0.f : s.param, 0, 0, i};
        const std::size_t n = detail::parameter_count(s);
        // Every kind with parameters has a weight and a bias, the bias last (out values).
        if (n) {
            st.w = offset;
            st.b = offset + n - static_cast<std::size_t>(s.out);
            offset += n;
        }
        stages_.push_back(st);
    }
    params_.resize(offset);
    max_width_ = specs.empty() ? 0 : specs[0].out;
    for (const auto& s : specs) max_width_ = std::max(max_width_, s.out);
    initialize(seed);
}

SANENET_INLINE model::model(const model&) = default;
SANENET_INLINE model::model(model&&) noexcept = default;
SANENET_INLINE model& model::operator=(const model&) = default;
SANENET_INLINE model& model::operator=(model&&) noexcept = default;

SANENET_INLINE void model::initialize(std::uint64_t seed) {
    kernels::rng r(seed);
    for (const stage& st : stages_)
        visit_kind(st.k, [&]<kind K>() { layer_ops<K>::initialize(specs_[st.spec], params_.data() + st.w, r); });
}

SANENET_INLINE void model::forward(const float* in, std::size_t rows, const forward_pass& pass, const forward_buffers& buf,
                                   stage_visitor visit, void* visit_ctx) const {
    const float* cur = in;
    float* const ws[2] = {buf.ping, buf.pong};
    int flip = 0;
    const bool training = buf.outputs != nullptr;
    for (std::size_t s = 0; s < stages_.size(); ++s) {
        const stage& st = stages_[s];
        const bool last = s + 1 == stages_.size();
        const std::size_t n = rows * static_cast<std::size_t>(st.out);
        // In inference a regularizer is the identity: skipped, unless it is last.
        if (!training && is_regularizer(st.k)) {
            if (last) std::copy(cur, cur + n, buf.out);
            continue;
        }
        float* dst = training ? buf.outputs[s] : last ? buf.out : ws[flip];
        if (!training && !last) flip ^= 1;
        const stage_io io{st,
                          s,
                          rows,
                          cur,
                          dst,
                          params_.data(),
                          training ? buf.states[s] : nullptr,
                          pass.regularize,
                          !(last && !pass.apply_output),
                          pass.threads,
                          pass.seed,
                          pass.step};
        if (!pass.replace || !pass.replace->run(pass.replace->ctx, io))
            visit_kind(st.k, [&]<kind K>() { layer_ops<K>::forward(io); });
        if (visit) visit(visit_ctx, s, dst, rows);
        cur = dst;
    }
}

inline constexpr std::uint32_t writer_bit = 0x80000000u;

SANENET_INLINE void begin_read(const model& m, const char* call) {
    std::atomic_ref<std::uint32_t> word(m.use().value);
    const std::uint32_t before = word.fetch_add(1, std::memory_order_acquire);
    if (before & writer_bit) {
        word.fetch_sub(1, std::memory_order_relaxed);
        throw argument_error(std::string(call) +
                             ": this network is being written by another thread (fit or load is running on it), and a "
                             "network is not read while it is written: call it after that returns, or on a copy made before "
                             "(docs/reliability.md, \"Threads\")");
    }
}

SANENET_INLINE void end_read(const model& m) noexcept {
    std::atomic_ref<std::uint32_t>(m.use().value).fetch_sub(1, std::memory_order_release);
}

SANENET_INLINE void begin_write(const model& m, const char* call) {
    std::atomic_ref<std::uint32_t> word(m.use().value);
    std::uint32_t expected = 0;
    if (!word.compare_exchange_strong(expected, writer_bit, std::memory_order_acquire, std::memory_order_relaxed))
        throw argument_error(std::string(call) + ": this network is in use by another thread (" +
                             (expected & writer_bit
                                  ? std::string("fit or load is running on it")
                                  : std::to_string(expected) + " call(s) such as predict or save are reading it") +
                             "), and a network is not written while it is used: train or load a copy, and assign it "
                             "when no other thread uses the network (docs/reliability.md, \"Threads\")");
}

SANENET_INLINE void end_write(const model& m) noexcept {
    // Not a store of 0: a refused reader may be between its increment and its decrement.
    std::atomic_ref<std::uint32_t>(m.use().value).fetch_and(~writer_bit, std::memory_order_release);
}

SANENET_INLINE void standardize_rows(const scaler& s, const float* in, std::size_t rows, float* out) {
    const std::size_t w = s.size();
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < w; ++c) out[r * w + c] = (in[r * w + c] - s.mean[c]) / s.scale[c];
}

SANENET_INLINE void destandardize_rows(const scaler& s, float* y, std::size_t rows) {
    const std::size_t w = s.size();
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < w; ++c) y[r * w + c] = y[r * w + c] * s.scale[c] + s.mean[c];
}

// The width against the network's and every value; a Standardizer that was never fitted has none.
SANENET_INLINE void check_scaler(const scaler& s, const char* where, const char* side, int width) {
    if (s.empty()) throw argument_error(std::string(where) + ": the Standardizer is not fitted: call fit(x_train) first");
    if (s.scale.size() != s.size() || s.size() != static_cast<std::size_t>(width))
        throw shape_error(std::string(where) + ": the Standardizer was fitted on " + std::to_string(s.size()) +
                          " features, the network's " + side + " has " + std::to_string(width));
    for (std::size_t c = 0; c < s.size(); ++c)
        if (!std::isfinite(s.mean[c]) || !std::isfinite(s.scale[c]) || !(s.scale[c] > 0.f))
            throw argument_error(std::string(where) + ": feature " + std::to_string(c) + " has mean " +
                                 std::to_string(s.mean[c]) + " and scale " + std::to_string(s.scale[c]) +
                                 ", expected a finite mean and a finite scale > 0");
}

SANENET_INLINE void model::set_input_scaler(scaler s, const char* where) {
    check_scaler(s, where, "input", input_size());
    input_scaler_ = std::move(s);
}

SANENET_INLINE void model::set_target_scaler(scaler s, const char* where) {
    if (task_.k != task_kind::regression)
        throw argument_error(std::string(where) + ": a target scaler is for Regression, this network is " + task_name(task_));
    check_scaler(s, where, "output", output_size());
    target_scaler_ = std::move(s);
}

SANENET_INLINE void model::infer_raw(const float* in, std::size_t rows, float* out, float* ping, float* pong, int threads,
                                     const stage_override* replace) const {
    if (!input_scaler_.empty()) {
        standardize_rows(input_scaler_, in, rows, pong);
        in = pong;
    }
    infer(in, rows, out, ping, pong, threads, true, nullptr, nullptr, replace);
    if (!target_scaler_.empty()) destandardize_rows(target_scaler_, out, rows);
}

SANENET_INLINE std::pair<float*, float*> row_workspaces(std::size_t width) {
    thread_local aligned_buffer<float> ping(0), pong(0);
    if (ping.size() < width) {
        ping.resize(width);
        pong.resize(width);
    }
    return {ping.data(), pong.data()};
}

SANENET_INLINE void check_predict_one(std::size_t in, std::size_t out, int input_size, int output_size) {
    if (in != static_cast<std::size_t>(input_size) || out != static_cast<std::size_t>(output_size))
        throw shape_error("predict_one: got an input span of " + std::to_string(in) + " values and an output span of " +
                          std::to_string(out) + ", the network takes " + std::to_string(input_size) + " and gives " +
                          std::to_string(output_size));
}

SANENET_INLINE void check_input_width(const char* where, std::size_t rows, std::size_t cols, int input_size) {
    if (cols != static_cast<std::size_t>(input_size))
        throw shape_error(std::string(where) + ": x has shape " + shape_string(rows, cols) + " but the network's Input<" +
                          std::to_string(input_size) + "> expects " + shape_string(rows, static_cast<std::size_t>(input_size)));
}

// predict's loop: x in chunks of 256 rows through infer(in, rows, out, ping, pong, threads).
template <class Infer>
xt::xtensor<float, 2> predict_in_chunks(const model& m, const xt::xtensor<float, 2>& x, int threads, Infer&& infer) {
    const std::size_t rows = x.shape()[0];
    check_input_width("predict", rows, x.shape()[1], m.input_size());
    xt::xtensor<float, 2> out = xt::xtensor<float, 2>::from_shape({rows, static_cast<std::size_t>(m.output_size())});
    constexpr std::size_t chunk = 256;
    const std::size_t ws = std::min(rows, chunk) * static_cast<std::size_t>(m.max_width());
    aligned_buffer<float> ping(ws), pong(ws);
    const int t = kernels::resolve_threads(threads);
    for (std::size_t r = 0; r < rows; r += chunk) {
        const std::size_t n = std::min(chunk, rows - r);
        infer(x.data() + r * static_cast<std::size_t>(m.input_size()), n,
              out.data() + r * static_cast<std::size_t>(m.output_size()), ping.data(), pong.data(), t);
    }
    return out;
}

SANENET_INLINE xt::xtensor<float, 2> predict(const model& m, const xt::xtensor<float, 2>& x, int threads, bool apply_output) {
    return predict_in_chunks(m, x, threads, [&](const float* in, std::size_t n, float* out, float* ping, float* pong, int t) {
        m.infer(in, n, out, ping, pong, t, apply_output);
    });
}

SANENET_INLINE xt::xtensor<float, 2> predict_raw(const model& m, const xt::xtensor<float, 2>& x, int threads) {
    if (!m.has_scalers()) return predict(m, x, threads);
    return predict_in_chunks(m, x, threads, [&](const float* in, std::size_t n, float* out, float* ping, float* pong, int t) {
        m.infer_raw(in, n, out, ping, pong, t);
    });
}
#endif  // SANENET_DEFINITIONS

}  // namespace sanenet::detail
