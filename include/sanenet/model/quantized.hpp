// The reduced-precision inference model behind sn::quantize and a bf16 sn::load_any: a model
// whose Dense weights are rounded to bf16 (biases, LayerNorm parameters and scalers stay fp32),
// run one row at a time by the bf16 GEMV (kernels/gemv_bf16.hpp) with fp32 activations and
// accumulation. The other stages run their kind's own forward (layers/).
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/format.hpp>
#include <sanenet/core/spec.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/kernels/elementwise.hpp>
#include <sanenet/kernels/gemv_bf16.hpp>
#include <sanenet/model/model.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <bit>
#include <cmath>
#include <utility>
#endif

namespace sanenet::inline SANENET_ABI {

// The format of an inference model's weights: fp32 as trained, or bf16 (docs/deployment.md,
// "Reduced precision"). The values are the model file's codes.
enum class Precision : std::uint32_t { fp32 = 0, bf16 = 1 };

// "fp32", "bf16".
SANENET_INLINE const char* precision_name(Precision p);

}  // namespace sanenet

namespace sanenet::inline SANENET_ABI::detail {

class quantized_model {
public:
    // source's parameters and scalers with every Dense weight rounded to p (fp32: as they are).
    // A weight that is not finite, or that bf16 cannot hold (|w| above 3.39e38 rounds to
    // infinity), is an argument_error naming it and `where`. specs: the layers, shared by copies.
    quantized_model(std::shared_ptr<const std::vector<layer_spec>> specs, const model& source, Precision p, const char* where);

    Precision precision() const { return precision_; }
    // The fp32 model holding the rounded weights (save, export_header, summary).
    const model& engine() const { return model_; }
    const std::shared_ptr<const std::vector<layer_spec>>& specs() const { return specs_; }

    // Inference in the user's units: model::infer_raw with each Dense through the bf16 GEMV,
    // a row at a time; ping and pong hold rows x max_width floats each. No allocation.
    void infer_raw(const float* in, std::size_t rows, float* out, float* ping, float* pong) const;

private:
    // The stage_override of a bf16 model: every Dense through gemv_bf16.
    static bool run_dense(const void* self, const stage_io& io);

    std::shared_ptr<const std::vector<layer_spec>> specs_;
    model model_;
    Precision precision_;
    kernels::aligned_buffer<std::uint32_t> packed_;  // the Dense weights, packed in input pairs
    std::vector<std::size_t> packed_at_;  // per stage: where its weights start in packed_
};

// Empty when every Dense weight of m is a bf16 value (its low 16 bits zero), otherwise which is not.
SANENET_INLINE std::string first_non_bf16(const model& m);

// An argument_error naming the first Dense weight of m that is not finite or that bf16 cannot
// hold (|w| above 3.39e38 rounds to infinity); `where` names the call.
SANENET_INLINE void check_bf16_range(const model& m, const char* where);

// Batched inference through q.infer_raw, in chunks (predict's), row by row.
SANENET_INLINE xt::xtensor<float, 2> predict_quantized(const quantized_model& q, const xt::xtensor<float, 2>& x);

}  // namespace sanenet::detail

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI {
SANENET_INLINE const char* precision_name(Precision p) { return p == Precision::bf16 ? "bf16" : "fp32"; }
}  // namespace sanenet

namespace sanenet::inline SANENET_ABI::detail {

// "dense1 weight, input 3, unit 7" for Dense stage st's weight index i.
SANENET_INLINE std::string dense_weight_place(const model& m, const stage& st, std::size_t i) {
    std::size_t ordinal = 0;
    for (const stage& s : m.stages()) {
        if (&s == &st) break;
        ordinal += s.k == kind::dense;
    }
    const std::size_t cols = static_cast<std::size_t>(st.out);
    return "dense" + std::to_string(ordinal) + " weight, input " + std::to_string(i / cols) + ", unit " +
           std::to_string(i % cols);
}

SANENET_INLINE quantized_model::quantized_model(std::shared_ptr<const std::vector<layer_spec>> specs, const model& source,
                                                Precision p, const char* where)
    : specs_(std::move(specs)),
      model_(*specs_, source.task(), 0),
      precision_(p) {
    std::copy(source.params(), source.params() + source.parameter_count(), model_.params());
    if (!source.input_scaler().empty()) model_.set_input_scaler(source.input_scaler(), where);
    if (!source.target_scaler().empty()) model_.set_target_scaler(source.target_scaler(), where);
    if (p == Precision::fp32) return;
    check_bf16_range(model_, where);
    std::size_t total = 0;
    packed_at_.assign(model_.stages().size(), 0);
    for (std::size_t s = 0; s < model_.stages().size(); ++s) {
        const stage& st = model_.stages()[s];
        if (st.k != kind::dense) continue;
        float* w = model_.params() + st.w;
        const std::size_t n = static_cast<std::size_t>(st.in) * static_cast<std::size_t>(st.out);
        for (std::size_t i = 0; i < n; ++i) w[i] = kernels::round_to_bf16(w[i]);
        packed_at_[s] = total;
        total += kernels::bf16_packed_size(st.in, st.out);
    }
    packed_.resize(total);
    for (std::size_t s = 0; s < model_.stages().size(); ++s) {
        const stage& st = model_.stages()[s];
        if (st.k == kind::dense) kernels::pack_bf16(model_.params() + st.w, st.in, st.out, packed_.data() + packed_at_[s]);
    }
}

SANENET_INLINE bool quantized_model::run_dense(const void* self, const stage_io& io) {
    const stage& st = io.st;
    if (st.k != kind::dense) return false;
    const quantized_model& q = *static_cast<const quantized_model*>(self);
    const std::size_t in = static_cast<std::size_t>(st.in), out = static_cast<std::size_t>(st.out);
    for (std::size_t r = 0; r < io.rows; ++r)
        kernels::gemv_bf16(st.out, st.in, io.in + r * in, q.packed_.data() + q.packed_at_[io.index], io.params + st.b,
                           io.out + r * out);
    if (io.apply_activation && st.a != act::identity) kernels::activation_forward(io.out, io.rows, out, st.a, st.param);
    return true;
}

SANENET_INLINE void quantized_model::infer_raw(const float* in, std::size_t rows, float* out, float* ping, float* pong) const {
    const stage_override bf16{&run_dense, this};
    model_.infer_raw(in, rows, out, ping, pong, 1, precision_ == Precision::fp32 ? nullptr : &bf16);
}

SANENET_INLINE void check_bf16_range(const model& m, const char* where) {
    for (const stage& st : m.stages()) {
        if (st.k != kind::dense) continue;
        const float* w = m.params() + st.w;
        const std::size_t n = static_cast<std::size_t>(st.in) * static_cast<std::size_t>(st.out);
        for (std::size_t i = 0; i < n; ++i)
            if (!std::isfinite(w[i]) || !std::isfinite(kernels::round_to_bf16(w[i])))
                throw argument_error(std::string(where) + ": cannot round the weights to bf16: " + dense_weight_place(m, st, i) +
                                     " is " + format_shortest(w[i]) +
                                     (std::isfinite(w[i]) ? ", beyond bf16's range (|w| <= 3.39e38): keep this network in fp32"
                                                          : "; expected finite weights (train or load the fp32 network again)"));
    }
}

SANENET_INLINE std::string first_non_bf16(const model& m) {
    for (const stage& st : m.stages()) {
        if (st.k != kind::dense) continue;
        const std::size_t n = static_cast<std::size_t>(st.in) * static_cast<std::size_t>(st.out);
        for (std::size_t i = 0; i < n; ++i)
            if (std::bit_cast<std::uint32_t>(m.params()[st.w + i]) & 0xffffu)
                return dense_weight_place(m, st, i) + " is " + format_shortest(m.params()[st.w + i]) + ", not a bf16 value";
    }
    return {};
}

SANENET_INLINE xt::xtensor<float, 2> predict_quantized(const quantized_model& q, const xt::xtensor<float, 2>& x) {
    // bf16: row by row, as predict_one, so that the elementwise stages split each row into
    // vectors and a tail as predict_one does and both give the same bits; fp32: as the network.
    const std::size_t in_w = static_cast<std::size_t>(q.engine().input_size()),
                      out_w = static_cast<std::size_t>(q.engine().output_size());
    const bool by_row = q.precision() != Precision::fp32;
    return predict_in_chunks(q.engine(), x, 1, [&](const float* in, std::size_t n, float* out, float* ping, float* pong, int) {
        if (!by_row) return q.infer_raw(in, n, out, ping, pong);
        for (std::size_t r = 0; r < n; ++r) q.infer_raw(in + r * in_w, 1, out + r * out_w, ping, pong);
    });
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
