// What a checkpoint holds: the whole state of a fit between two epochs, so that sn::resume
// continues it bit for bit, and the record of the options and data that decide the run, which
// a resumed call must match. io/checkpoint.hpp writes and reads the file.
#pragma once

#include <sanenet/core/targets.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/model/model.hpp>
#include <sanenet/train/early_stopping.hpp>
#include <sanenet/train/history.hpp>
#include <sanenet/train/loop.hpp>
#include <sanenet/train/monitors.hpp>
#include <sanenet/train/options.hpp>
#include <sanenet/train/schedules.hpp>
#include <sanenet/train/trainer.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>
#if SANENET_DEFINITIONS
#include <cstring>
#include <type_traits>
#include <variant>
#endif

namespace sanenet::inline SANENET_ABI::detail {

// (name, value) pairs, such as ("batch_size", "32").
using run_record = std::vector<std::pair<std::string, std::string>>;

struct run_state {
    int epochs_done = 0;
    bool finished = false;  // the fit has ended (completed or stopped early): resume returns it
    run_record run;  // the options and data of the fit (record_run)
    History history;
    trainer::snapshot snapshot;  // the weights, the optimizer's moments, the update and step counters
    sample_order::state order;  // the shuffled order and its random stream
    divergence_watch::state watch;  // L6.1's smoothed loss
    monitor_state monitor;  // the monitors' (FitOptions::monitor)
    early_stopper::state early;
    std::vector<float> best_params;  // the best epoch's weights, for EarlyStopping::restore_best
    lr_schedule::state schedule;
};

// Where sn::fit writes checkpoints and the state sn::resume continues from. write is
// io/checkpoint.hpp's writer (files come after training in the layers); it throws io_error.
struct fit_hooks {
    void (*write)(const std::filesystem::path& path, const model& m, const run_state& s) = nullptr;
    const run_state* resume = nullptr;
};

// What decides a fit's trajectory, by name: epochs, batch_size, the optimizer, clipping, seed,
// shuffle, monitor, the schedule, early stopping, the loss and its weights, the training and
// validation data (their shapes and a fingerprint of their bits, as the network trains on them)
// and the scalers attached to m (train/scaled.hpp). The thread count, progress, callbacks, waivers,
// thresholds and the checkpoint settings are not in it.
SANENET_INLINE run_record record_run(const model& m, const FitOptions& o, const matrix& x, const targets& y);

// Empty when `call` matches `saved`; otherwise which entry differs, with both values.
SANENET_INLINE std::string run_difference(const run_record& saved, const run_record& call);

}  // namespace sanenet::detail

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

// FNV-1a over 64-bit words (a tail byte-wise): a fingerprint of a data set's bits, not a
// cryptographic hash; fast enough to run over Fashion-MNIST at every fit with checkpoints.
inline std::uint64_t fingerprint_bytes(const void* data, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ull) {
    const auto* p = static_cast<const unsigned char*>(data);
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

inline std::string hex64(std::uint64_t v) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s(16, '0');
    for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = digits[v & 0xF];
    return s;
}

inline std::string describe_data(const matrix& x, const targets& y) {
    std::uint64_t h = fingerprint_bytes(x.data(), x.size() * sizeof(float));
    std::string s = std::to_string(x.shape()[0]) + " x " + std::to_string(x.shape()[1]) + " inputs, ";
    if (y.cls) {
        h = fingerprint_bytes(y.cls->data(), y.cls->size() * sizeof(std::int32_t), h);
        s += std::to_string(y.cls->size()) + " labels";
    } else {
        h = fingerprint_bytes(y.values->data(), y.values->size() * sizeof(float), h);
        s += std::to_string(y.values->shape()[0]) + " x " + std::to_string(y.values->shape()[1]) + " targets";
    }
    return s + " (fingerprint " + hex64(h) + ")";
}

inline std::string describe_scaler(const scaler& s) {
    std::uint64_t h = fingerprint_bytes(s.mean.data(), s.mean.size() * sizeof(float));
    h = fingerprint_bytes(s.scale.data(), s.scale.size() * sizeof(float), h);
    return std::to_string(s.size()) + " columns (fingerprint " + hex64(h) + ")";
}

inline std::string describe_scalers(const model& m) {
    if (!m.has_scalers()) return "none";
    std::string s;
    if (!m.input_scaler().empty()) s = "input " + describe_scaler(m.input_scaler());
    if (!m.target_scaler().empty()) s += (s.empty() ? "" : ", ") + std::string("target ") + describe_scaler(m.target_scaler());
    return s;
}

inline std::string describe_optimizer(const Optimizer& o) {
    const auto f = [](float v) { return format_shortest(v); };
    return std::visit(
        [&](const auto& opt) -> std::string {
            using O = std::decay_t<decltype(opt)>;
            if constexpr (std::is_same_v<O, SGD>) {
                return "SGD{learning_rate = " + f(opt.learning_rate) + ", momentum = " + f(opt.momentum) +
                       ", nesterov = " + (opt.nesterov ? "true" : "false") + ", weight_decay = " + f(opt.weight_decay) + "}";
            } else {
                std::string s = std::string(std::is_same_v<O, AdamW> ? "AdamW" : "Adam") +
                                "{learning_rate = " + f(opt.learning_rate) + ", beta1 = " + f(opt.beta1) +
                                ", beta2 = " + f(opt.beta2) + ", epsilon = " + f(opt.epsilon);
                if constexpr (std::is_same_v<O, AdamW>) s += ", weight_decay = " + f(opt.weight_decay);
                return s + "}";
            }
        },
        o);
}

inline std::string describe_loss(const Loss& l) {
    return std::visit(
        [](const auto& loss) -> std::string {
            using L = std::decay_t<decltype(loss)>;
            if constexpr (std::is_same_v<L, MSE>)
                return "MSE";
            else if constexpr (std::is_same_v<L, MAE>)
                return "MAE";
            else
                return "Huber{delta = " + format_shortest(loss.delta) + "}";
        },
        l);
}

inline std::string describe_weights(const std::vector<float>& w) {
    if (w.empty()) return "none";
    std::string s = "{";
    for (std::size_t i = 0; i < w.size(); ++i) s += (i ? ", " : "") + format_shortest(w[i]);
    return s + "}";
}

SANENET_INLINE run_record record_run(const model& m, const FitOptions& o, const matrix& x, const targets& y) {
    run_record r;
    r.emplace_back("epochs", std::to_string(o.epochs));
    r.emplace_back("batch_size", std::to_string(o.batch_size));
    r.emplace_back("optimizer", describe_optimizer(o.optimizer));
    r.emplace_back("clip_grad_norm", o.clip_grad_norm ? format_shortest(*o.clip_grad_norm) : "off");
    r.emplace_back("seed", std::to_string(o.seed));
    r.emplace_back("shuffle", o.shuffle ? "true" : "false");
    r.emplace_back("monitor", o.monitor ? "true" : "false");
    r.emplace_back("schedule", describe(o.schedule));
    r.emplace_back("early_stopping", o.early_stopping
                                         ? "EarlyStopping{patience = " + std::to_string(o.early_stopping->patience) +
                                               ", min_delta = " + format_number(o.early_stopping->min_delta, 17) +
                                               ", restore_best = " + (o.early_stopping->restore_best ? "true" : "false") + "}"
                                         : "off");
    r.emplace_back("loss", describe_loss(o.loss));
    r.emplace_back("output_weights", describe_weights(o.output_weights));
    r.emplace_back("class_weights", describe_weights(o.class_weights));
    // Before the data: without the fit's scalers the data the network sees differs too.
    r.emplace_back("scalers", describe_scalers(m));
    r.emplace_back("training data", describe_data(x, y));
    r.emplace_back("validation", o.validation ? describe_data(o.validation->x, targets_of(o.validation->y)) : "none");
    return r;
}

SANENET_INLINE std::string run_difference(const run_record& saved, const run_record& call) {
    for (const auto& [name, value] : call) {
        const std::string* before = nullptr;
        for (const auto& [n, v] : saved)
            if (n == name) before = &v;
        if (!before) return name + " is not recorded in the checkpoint (a checkpoint of another version)";
        if (*before != value) return name + " differs: the checkpoint's fit has " + *before + ", this call " + value;
    }
    if (saved.size() != call.size()) return "the checkpoint records options this version does not know";
    return {};
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
