// The layer seam. Each kind of the kind table (core/spec.hpp) has one layers/<kind>.hpp that
// holds all its behaviour: the user-facing type, its spec, name, parameter tensors,
// initialization, forward and backward passes, in a specialization of layer_ops<K>:
//
//   template <> struct layer_ops<kind::K> {
//       static constexpr const char* stem;                       // export_npy files ("dense"), or nullptr
//       static std::string name(const layer_spec&);               // as the user typed it: "Dense<256, He>"
//       static constexpr std::size_t parameter_count(const layer_spec&);
//       template <class F> static void tensors(const layer_spec&, const stage&, F&& each);  // each(tensor)
//       static void initialize(const layer_spec&, float* params, kernels::rng&);
//       static std::size_t state_size(const stage&, std::size_t rows);  // floats kept from forward for backward
//       static void forward(const stage_io&);
//       static void backward(const stage_io&, const grad_io&);
//   };
//
// The non-template members are declared in the specialization and defined after it, in the
// file's SANENET_DEFINITIONS block (core/config.hpp: compiled once in compiled mode).
// A kind without parameters derives stem, parameter_count, tensors, initialize and state_size
// from no_parameters. The model and the trainer iterate over stages and dispatch through visit_kind, whose switch
// is generated from the kind table: a kind without its layer_ops does not compile. The lint
// traits of a kind are its columns in the kind table and its own rules in lints/.
#pragma once

#include <sanenet/core/spec.hpp>
#include <sanenet/kernels/elementwise.hpp>
#include <sanenet/kernels/gemm.hpp>
#include <sanenet/kernels/random.hpp>
#include <sanenet/kernels/thread_pool.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>

namespace sanenet::inline SANENET_ABI::detail {

// One step of the forward pass: every spec after Input, with a Dense's activation fused in
// when its derivative is written in its output (derivative_from_output).
struct stage {
    kind k;
    int in, out;
    act a;  // Dense: the fused activation (identity when none follows); activation: itself
    float param;  // activation constant, dropout keep or noise stddev
    std::size_t w = 0, b = 0;  // offsets of the weight (Dense: in x out, row-major; LayerNorm: gain) and the bias
    std::size_t spec = 0;  // index into the specs (Input is 0)
};

// A parameter tensor: rows x cols row-major, or a vector of `rows` when cols is 0. Weights
// (Dense W) take weight decay, are fused with their update on small batches and have their
// gradient norm watched (L8.2); biases and gains do not.
struct tensor {
    const char* name;  // "weight" or "bias"
    std::size_t offset, rows, cols;
    bool weight;
    std::size_t size() const { return cols ? rows * cols : rows; }
};

// What a stage's forward pass sees; every buffer is rows x width, row-major.
struct stage_io {
    const stage& st;
    std::size_t index;  // of the stage
    std::size_t rows;
    const float* in;  // rows x st.in
    float* out;  // rows x st.out
    const float* params;  // the model's parameters (st.w and st.b index them)
    float* state;  // training: state_size floats kept for backward; nullptr in inference
    bool regularize;  // dropout and noise on
    bool apply_activation;  // false for the output activation when the loss fuses it
    int threads;
    std::uint64_t seed, step;  // the random streams of dropout and noise
};

// Updates a Dense weight from its gradient's factors while computing it (the trainer's
// small-batch path): run(self, stage, X^T, dZ, rows).
struct fused_update {
    void* self;
    void (*run)(void* self, const stage& st, const kernels::operand& xt, const float* d, std::size_t rows);
};

// What a stage's backward pass sees besides its forward view.
struct grad_io {
    float* d_out;  // dLoss/d(out), rows x st.out; the stage may overwrite it
    float* d_in;  // dLoss/d(in) to write, or nullptr when no earlier stage needs it
    float* grads;  // the model's gradient buffer, laid out as params
    const fused_update* fuse;  // non-null: update the weights as their gradient is formed
};

template <kind K>
struct layer_ops;  // no definition: a kind of the table without its layers/<kind>.hpp does not compile

// The parameter part of layer_ops for a kind without parameters (and without state, unless it
// declares its own state_size).
struct no_parameters {
    static constexpr const char* stem = nullptr;
    static constexpr std::size_t parameter_count(const layer_spec&) { return 0; }
    template <class F>
    static void tensors(const layer_spec&, const stage&, F&&) {}
    static void initialize(const layer_spec&, float*, kernels::rng&) {}
    static std::size_t state_size(const stage&, std::size_t) { return 0; }
};

// Calls f.template operator()<K>() with the kind as a compile-time constant.
template <class F>
constexpr decltype(auto) visit_kind(kind k, F&& f) {
    switch (k) {
#define SANENET_CASE(name, code) \
    case kind::name: return f.template operator()<kind::name>();
        SANENET_LAYER_KINDS(SANENET_CASE)
#undef SANENET_CASE
    }
    return f.template operator()<kind::input>();
}

}  // namespace sanenet::detail

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

// Elementwise work on n values, in parallel chunks when it is large (the results do not
// depend on the split).
template <class F>
void for_chunks(const stage_io& io, std::size_t n, const F& f) {
    constexpr std::size_t grain = 1 << 14;
    kernels::parallel_for(n >= 2 * grain ? io.threads : 1, n, grain, f);
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
