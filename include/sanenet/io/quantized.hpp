// sn::quantize(net, sn::Precision::bf16): a read-only inference model whose Dense weights are
// bf16 (half the bytes of fp32; biases, LayerNorm parameters and scalers stay fp32, activations
// and sums are fp32), for predict_one where the weights' memory traffic is the cost. With
// validation data it measures what the rounding costs (accuracy, or MSE) against the fp32
// network, and warns with lint L2.4 when that is more than a deployment should accept.
// docs/deployment.md, "Reduced precision".
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/io/model_file.hpp>
#include <sanenet/lints/data.hpp>
#include <sanenet/lints/lint.hpp>
#include <sanenet/model/model.hpp>
#include <sanenet/model/quantized.hpp>
#include <sanenet/train/metrics.hpp>
#include <sanenet/train/options.hpp>

#include <concepts>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sanenet::inline SANENET_ABI {

// What the rounding cost on the validation data.
struct QuantizationCost {
    std::string metric;  // "accuracy" (Classification) or "mse" (Regression, MultiLabel: of the probabilities)
    double fp32 = 0.0;  // the metric of the fp32 network
    double reduced = 0.0;  // the metric of the quantized model
    double change = 0.0;  // accuracy: reduced - fp32; mse: (reduced - fp32) / fp32, relative
};

struct QuantizeOptions {
    // Held-out data (raw inputs, targets in their units, as predict takes and returns them): the
    // cost is measured on it and lint L2.4 fires when accuracy falls by more than
    // max_accuracy_drop or the MSE rises by more than max_mse_rise (relative).
    std::optional<Validation> validation = std::nullopt;
    double max_accuracy_drop = 0.002;
    double max_mse_rise = 0.01;
    Waivers allow = {};  // sn::allow<sn::lint::QuantizationCost>() silences L2.4
    bool progress = true;  // the warning on stderr as well as in diagnostics()
};

class QuantizedNetwork;

namespace detail {
// sn::quantize's work on the network's model; type_waivers: the network type's sn::Allow<...>.
SANENET_INLINE QuantizedNetwork quantize_model(const model& m, Waivers type_waivers, Precision p, const QuantizeOptions& o);
}  // namespace detail

// A network for inference only, its weights in precision(). Copies share the weights.
class QuantizedNetwork {
public:
    Precision precision() const { return q_->precision(); }
    int input_size() const { return q_->engine().input_size(); }
    int output_size() const { return q_->engine().output_size(); }
    // "Regression", "Classification<10>", ...
    std::string task() const;

    // Raw inputs and targets' units when the network carries scalers, as Network's.
    matrix predict(const matrix& x) const;
    // One sample, one thread; shape_error on wrong sizes. No allocation for layers up to 2048 wide
    // (the workspaces are on the stack; wider ones are per-thread, allocated on the first call).
    void predict_one(std::span<const float> in, std::span<float> out) const;
    // A model file that records the precision (format version 3 for bf16); sn::load_any reads it,
    // Network::load refuses it.
    void save(const std::filesystem::path& path) const;

    // The cost measured on QuantizeOptions::validation (none without it).
    const std::optional<QuantizationCost>& validation_change() const { return cost_; }
    // L2.4 when it fired.
    const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

    // The fp32 model holding the rounded weights, for export_header (not a stable API).
    const detail::model& engine() const { return q_->engine(); }
    const detail::quantized_model& quantized_engine() const { return *q_; }

private:
    friend QuantizedNetwork detail::quantize_model(const detail::model& m, Waivers type_waivers, Precision p,
                                                   const QuantizeOptions& o);
    explicit QuantizedNetwork(std::shared_ptr<const detail::quantized_model> q, Waivers w) : q_(std::move(q)), waivers_(w) {}

    std::shared_ptr<const detail::quantized_model> q_;
    Waivers waivers_;
    std::optional<QuantizationCost> cost_;
    std::vector<Diagnostic> diagnostics_;
};

// A typed sn::Network (its waivers carried over) or an sn::AnyNetwork.
template <class Net>
    requires requires(const Net& n) {
        { n.engine() } -> std::convertible_to<const detail::model&>;
    }
QuantizedNetwork quantize(const Net& net, Precision precision, const QuantizeOptions& options = {}) {
    const detail::read_use use(net.engine(), "quantize");
    Waivers w{};
    if constexpr (requires { Net::waivers; })
        w = Net::waivers;
    else if constexpr (requires { net.waivers(); })
        w = net.waivers();
    return detail::quantize_model(net.engine(), w, precision, options);
}

}  // namespace sanenet

#if SANENET_DEFINITIONS
#include <limits>
#include <variant>

namespace sanenet::inline SANENET_ABI {

SANENET_INLINE std::string QuantizedNetwork::task() const { return detail::task_name(q_->engine().task()); }

SANENET_INLINE matrix QuantizedNetwork::predict(const matrix& x) const { return detail::predict_quantized(*q_, x); }

SANENET_INLINE void QuantizedNetwork::predict_one(std::span<const float> in, std::span<float> out) const {
    const detail::model& m = q_->engine();
    detail::check_predict_one(in.size(), out.size(), m.input_size(), m.output_size());
    constexpr int stack_width = 2048;
    if (m.max_width() <= stack_width) {
        alignas(kernels::alignment) float ping[stack_width];
        alignas(kernels::alignment) float pong[stack_width];
        q_->infer_raw(in.data(), 1, out.data(), ping, pong);
    } else {
        const auto [ping, pong] = detail::row_workspaces(static_cast<std::size_t>(m.max_width()));
        q_->infer_raw(in.data(), 1, out.data(), ping, pong);
    }
}

SANENET_INLINE void QuantizedNetwork::save(const std::filesystem::path& path) const {
    detail::save_model(q_->engine(), path, waivers_.bits, q_->precision());
}

namespace detail {

SANENET_INLINE QuantizedNetwork quantize_model(const model& m, Waivers type_waivers, Precision p, const QuantizeOptions& o) {
    auto specs = std::make_shared<const std::vector<layer_spec>>(m.specs().begin(), m.specs().end());
    QuantizedNetwork net(std::make_shared<const quantized_model>(std::move(specs), m, p, "quantize"), type_waivers);
    if (!o.validation) return net;
    const Validation& v = *o.validation;
    check_input_width("quantize: the validation data", v.x.shape()[0], v.x.shape()[1], m.input_size());
    const matrix full = predict_raw(m, v.x, 1), reduced = net.predict(v.x);
    QuantizationCost cost;
    bool fires = false;
    if (const labels* y = std::get_if<labels>(&v.y)) {
        if (m.task().k != task_kind::classification)
            throw argument_error("quantize: the validation targets are class labels, this network is " + task_name(m.task()) +
                                 ": pass a matrix of targets");
        cost.metric = "accuracy";
        cost.fp32 = accuracy(full, *y);
        cost.reduced = accuracy(reduced, *y);
        cost.change = cost.reduced - cost.fp32;
        fires = -cost.change > o.max_accuracy_drop;
    } else {
        const matrix& t = std::get<matrix>(v.y);
        if (m.task().k == task_kind::classification)
            throw argument_error("quantize: the validation targets are a matrix, this network is " + task_name(m.task()) +
                                 ": pass the class labels");
        cost.metric = "mse";
        cost.fp32 = mse(full, t);
        cost.reduced = mse(reduced, t);
        cost.change = cost.fp32 > 0.0 ? (cost.reduced - cost.fp32) / cost.fp32
                                      : (cost.reduced > 0.0 ? std::numeric_limits<double>::infinity() : 0.0);
        fires = cost.change > o.max_mse_rise;
    }
    net.cost_ = cost;
    if (fires && !((o.allow | type_waivers).bits & lint::QuantizationCost::bit)) {
        const bool acc = cost.metric == "accuracy";
        const std::string what = acc ? "rounding the weights to " + std::string(precision_name(p)) +
                                           " lowers the validation accuracy from " + format_number(cost.fp32, 6) + " to " +
                                           format_number(cost.reduced, 6) + " (" + format_number(-cost.change, 3) +
                                           " lower, more than the " + format_number(o.max_accuracy_drop, 3) +
                                           " allowed): this model needs its fp32 weights (article item 2: look at the results)"
                                     : "rounding the weights to " + std::string(precision_name(p)) +
                                           " raises the validation MSE from " + format_number(cost.fp32) + " to " +
                                           format_number(cost.reduced) + " (" + format_number(100.0 * cost.change, 3) +
                                           "% higher, more than the " + format_number(100.0 * o.max_mse_rise, 3) +
                                           "% allowed): this model needs its fp32 weights "
                                           "(article item 2: look at the results)";
        Diagnostic d = SANENET_TAGGED(QuantizationCost, Severity::warning, what,
                                      "keep fp32 for this model (sn::Precision::fp32, or deploy the Network itself)",
                                      cost.metric + " fp32 " + format_number(cost.fp32, 6) + ", " + precision_name(p) + " " +
                                          format_number(cost.reduced, 6),
                                      "QuantizeOptions::allow");
        if (o.progress) print_diagnostic(d);
        net.diagnostics_.push_back(std::move(d));
    }
    return net;
}

}  // namespace detail
}  // namespace sanenet
#endif  // SANENET_DEFINITIONS
