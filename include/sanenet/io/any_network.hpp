// sn::load_any(path): a network whose architecture comes from the model file, not from a type.
// The compile-time rules run on the file's architecture at load, with the same IDs
// (network/architecture_rules.hpp): an error-level rule is an sn::lint_error, the warnings are
// in diagnostics(). The engine is the typed networks' own, so predictions are bit for bit the
// same as the typed network's, and save writes the file the typed network writes.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/spec.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/io/model_file.hpp>
#include <sanenet/lints/lint.hpp>
#include <sanenet/model/model.hpp>
#include <sanenet/model/quantized.hpp>
#include <sanenet/network/architecture_rules.hpp>
#include <sanenet/network/summary.hpp>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace sanenet::inline SANENET_ABI {

struct LoadOptions {
    Waivers allow = {};  // lints waived at load, on top of those the file's network type waived
};

class AnyNetwork;
// Reads a model file of any format version (version 3: a bf16 model, which predict then runs in bf16;
// version 1 records no Dropout, GaussianNoise,
// initializers or waivers, so L4.1 is not checked on it). Throws io_error for a file that cannot
// be read or is damaged, lint_error (with the rule's ID) for an architecture that breaks an
// error-level rule.
SANENET_INLINE AnyNetwork load_any(const std::filesystem::path& path, const LoadOptions& options = {});

class AnyNetwork {
public:
    int input_size() const { return model_.input_size(); }
    int output_size() const { return model_.output_size(); }
    std::size_t parameter_count() const { return model_.parameter_count(); }
    // "Regression", "Classification<10>", ...
    std::string task() const;
    // The layers as the file describes them (Input first).
    std::span<const detail::layer_spec> layers() const { return model_.specs(); }
    // The same table as the typed network's summary() (and, for a bf16 file, a line that says so).
    std::string summary() const;
    // The warnings the compile-time rules found at load (L4.1, L10.1, L11.1, L8.3), as Diagnostics.
    const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
    // The waivers recorded in the file (the network type's sn::Allow<...>).
    Waivers waivers() const { return waivers_; }
    bool has_input_scaler() const { return !model_.input_scaler().empty(); }
    bool has_target_scaler() const { return !model_.target_scaler().empty(); }
    // The weights' format in the file: fp32, or bf16 (a QuantizedNetwork's save), which predict
    // and predict_one then run in.
    Precision precision() const { return quantized_ ? quantized_->precision() : Precision::fp32; }

    // As Network's: inference mode, raw inputs and targets' units when the file carries scalers.
    // (A bf16 model runs row by row on one thread: threads is not used.)
    matrix predict(const matrix& x, int threads = 0) const;
    // One sample; shape_error on wrong sizes. Allocates only on a thread's first call (per-thread
    // workspaces, grown for a wider network).
    void predict_one(std::span<const float> in, std::span<float> out) const;
    // The current format, byte for byte what the typed network's save writes (a bf16 model: the
    // QuantizedNetwork's).
    void save(const std::filesystem::path& path) const;

    // The model, for export_header, export_npy and import_npy (not a stable API).
    detail::model& engine() { return model_; }
    const detail::model& engine() const { return model_; }

private:
    friend AnyNetwork load_any(const std::filesystem::path& path, const LoadOptions& options);
    AnyNetwork(std::shared_ptr<const std::vector<detail::layer_spec>> specs, detail::task_spec task);

    std::shared_ptr<const std::vector<detail::layer_spec>> specs_;  // the model's span points here; shared by copies
    detail::model model_;
    std::shared_ptr<const detail::quantized_model> quantized_;  // a bf16 file: the model it runs
    std::vector<Diagnostic> diagnostics_;
    Waivers waivers_;
};

}  // namespace sanenet

#if SANENET_DEFINITIONS
#include <utility>

namespace sanenet::inline SANENET_ABI {

SANENET_INLINE AnyNetwork::AnyNetwork(std::shared_ptr<const std::vector<detail::layer_spec>> specs, detail::task_spec task)
    : specs_(std::move(specs)),
      model_(*specs_, task, 0) {}

SANENET_INLINE std::string AnyNetwork::task() const { return detail::task_name(model_.task()); }

SANENET_INLINE std::string AnyNetwork::summary() const {
    std::string s = detail::summary_table(model_.specs(), model_.task());
    if (quantized_) s += std::string("Dense weights in ") + precision_name(quantized_->precision()) + " (inference only)\n";
    return s;
}

SANENET_INLINE matrix AnyNetwork::predict(const matrix& x, int threads) const {
    if (quantized_) return detail::predict_quantized(*quantized_, x);
    return detail::predict_raw(model_, x, threads);
}

SANENET_INLINE void AnyNetwork::predict_one(std::span<const float> in, std::span<float> out) const {
    detail::check_predict_one(in.size(), out.size(), model_.input_size(), model_.output_size());
    const auto [ping, pong] = detail::row_workspaces(static_cast<std::size_t>(model_.max_width()));
    if (quantized_)
        quantized_->infer_raw(in.data(), 1, out.data(), ping, pong);
    else
        model_.infer_raw(in.data(), 1, out.data(), ping, pong, 1);
}

SANENET_INLINE void AnyNetwork::save(const std::filesystem::path& path) const {
    detail::save_model(model_, path, waivers_.bits, precision());
}

SANENET_INLINE AnyNetwork load_any(const std::filesystem::path& path, const LoadOptions& options) {
    using namespace detail;
    model_file_content c = read_model_file(path);
    const std::string fail = "cannot load " + quoted(path) + ": ";
    auto specs = std::make_shared<std::vector<layer_spec>>(c.version >= 2 ? std::move(c.layers) : c.record);
    const std::vector<layer_spec>& l = *specs;
    // The widths must chain, or the engine would read past its buffers: the typed load compares
    // with a network that chains by construction, this one has only the file.
    for (std::size_t i = 0; i < l.size(); ++i) {
        const bool same = l[i].k != kind::dense;
        if (i > 0 && l[i].in != l[i - 1].out)
            throw io_error(fail + "corrupted architecture: layer " + std::to_string(i) + " (" + layer_name(l[i]) + ") takes " +
                           std::to_string(l[i].in) + " values, layer " + std::to_string(i - 1) + " gives " +
                           std::to_string(l[i - 1].out));
        if (same && l[i].in != l[i].out)
            throw io_error(fail + "corrupted architecture: layer " + std::to_string(i) + " (" + layer_name(l[i]) + ") takes " +
                           std::to_string(l[i].in) + " values and gives " + std::to_string(l[i].out));
    }
    const std::vector<Diagnostic> found = architecture_findings(l, c.task, Waivers{c.waivers} | options.allow, c.version >= 2);
    for (const Diagnostic& d : found)
        if (d.severity == Severity::error)
            throw lint_error(d.id, d.message + " Found in " + quoted(path) + ": " + d.evidence + ".");
    AnyNetwork net(std::move(specs), c.task);
    model& m = net.model_;
    // read_model_file matched the count with the record, and (version 2) the layer list with the record.
    if (const std::string bad = serial::first_non_finite(m, c.params.data(), c.params.size()); !bad.empty())
        throw io_error(fail + bad);
    std::copy(c.params.begin(), c.params.end(), m.params());
    if (!c.input.empty()) m.set_input_scaler(std::move(c.input), "load_any");
    if (!c.target.empty()) m.set_target_scaler(std::move(c.target), "load_any");
    if (c.precision != Precision::fp32) {
        if (const std::string bad = first_non_bf16(m); !bad.empty())
            throw io_error(fail + "corrupted: the file says its weights are " + precision_name(c.precision) + " but " + bad);
        net.quantized_ = std::make_shared<const quantized_model>(net.specs_, m, c.precision, "load_any");
    }
    net.diagnostics_ = found;
    net.waivers_ = Waivers{c.waivers};
    return net;
}

}  // namespace sanenet
#endif  // SANENET_DEFINITIONS
