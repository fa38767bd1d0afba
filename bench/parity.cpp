// parity OUTDIR: the oracle's cases (tests/unit/oracle_cases.hpp) trained by sanenet and written
// out for bench/parity.py, which replays each in PyTorch (`make parity`). Per case, a directory
// caseNN/ with case.json (the layers, task, optimizer, batch, epochs, clipping, threads, loss and
// its output or class weights), x.npy,
// y.npy (the class index as float32 for classification) and the weights before (start/) and
// after (final/) training, as sn::export_npy writes them (dense<i>_weight.npy is (out, in);
// layernorm<i>_weight.npy, the gain, and layernorm<i>_bias.npy are (width,)). Then the schedule
// cases (tests/unit/schedule_cases.hpp), one directory schedNN/ each, whose case.json adds the
// schedule, sanenet's learning rate of every epoch (EpochRecord::learning_rate) and, for
// ReduceLROnPlateau, the validation data (xv.npy, yv.npy).
#include "../tests/unit/oracle_cases.hpp"
#include "../tests/unit/schedule_cases.hpp"

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace {

namespace sn = sanenet;
using namespace oracle;

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
    }
    return out + "\"";
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

std::string optimizer_json(const sn::Optimizer& o) {
    return std::visit(
        [](const auto& opt) {
            using O = std::decay_t<decltype(opt)>;
            if constexpr (std::is_same_v<O, sn::SGD>)
                return "{\"type\": \"sgd\", \"lr\": " + number(opt.learning_rate) + ", \"momentum\": " + number(opt.momentum) +
                       ", \"nesterov\": " + (opt.nesterov ? "true" : "false") +
                       ", \"weight_decay\": " + number(opt.weight_decay) + "}";
            else {
                double decay = 0.0;
                if constexpr (std::is_same_v<O, sn::AdamW>) decay = opt.weight_decay;
                return std::string("{\"type\": \"") + (std::is_same_v<O, sn::AdamW> ? "adamw" : "adam") +
                       "\", \"lr\": " + number(opt.learning_rate) + ", \"beta1\": " + number(opt.beta1) +
                       ", \"beta2\": " + number(opt.beta2) + ", \"eps\": " + number(opt.epsilon) +
                       ", \"weight_decay\": " + number(decay) + "}";
            }
        },
        o);
}

std::string loss_json(const oracle_case& c) {
    std::string type = "mse", delta = "1";
    if (std::holds_alternative<sn::MAE>(c.loss)) type = "mae";
    if (const auto* h = std::get_if<sn::Huber>(&c.loss)) type = "huber", delta = number(h->delta);
    const auto list = [](const std::vector<float>& w) {
        std::string s;
        for (float v : w) s += (s.empty() ? "" : ", ") + number(v);
        return "[" + s + "]";
    };
    return "{\"type\": \"" + type + "\", \"delta\": " + delta + ", \"output_weights\": " + list(c.output_weights) +
           ", \"class_weights\": " + list(c.class_weights) + "}";
}

std::string case_json(const oracle_case& c) {
    std::string layers;
    for (std::size_t i = 1; i < c.specs.size(); ++i) {
        const layer_spec& s = c.specs[i];
        std::string layer;
        if (s.k == kind::dense)
            layer = "{\"kind\": \"dense\", \"in\": " + std::to_string(s.in) + ", \"out\": " + std::to_string(s.out) + "}";
        else if (s.k == kind::layer_norm)
            layer = "{\"kind\": \"layer_norm\", \"width\": " + std::to_string(s.out) + "}";
        else if (s.k == kind::activation)
            layer = "{\"kind\": \"activation\", \"act\": " + json_string(std::string(sn::detail::act_name(s.a))) +
                    ", \"param\": " + number(s.param) + "}";
        else
            throw std::logic_error("parity: a layer kind parity.py cannot replay");
        layers += (layers.empty() ? "" : ", ") + layer;
    }
    const char* task = c.task.k == task_kind::regression       ? "regression"
                       : c.task.k == task_kind::classification ? "classification"
                                                               : "multilabel";
    return "{\"name\": " + json_string(c.name) + ", \"arch\": " + json_string(sn::kernels::arch_name()) + ", \"task\": \"" +
           task + "\", \"layers\": [" + layers + "], \"optimizer\": " + optimizer_json(c.optimizer) +
           ", \"batch\": " + std::to_string(c.batch) + ", \"epochs\": " + std::to_string(c.epochs) +
           ", \"threads\": " + std::to_string(c.threads) + ", \"clip\": " + (c.clip ? number(*c.clip) : std::string("null")) +
           ", \"loss\": " + loss_json(c) + "}\n";
}

void write(const std::filesystem::path& path, const sn::detail::serial::bytes& b) {
    sn::detail::write_file_atomically(path, b, "parity");
}

// A float option exactly, as the double it converts to.
std::string exact(double v) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::string schedule_json(const sn::Schedule& s) {
    return std::visit(
        [](const auto& v) -> std::string {
            using S = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<S, sn::ConstantLR>)
                return "{\"type\": \"constant\"}";
            else if constexpr (std::is_same_v<S, sn::StepLR>)
                return "{\"type\": \"step\", \"step_epochs\": " + std::to_string(v.step_epochs) +
                       ", \"gamma\": " + exact(v.gamma) + "}";
            else if constexpr (std::is_same_v<S, sn::ExponentialLR>)
                return "{\"type\": \"exponential\", \"gamma\": " + exact(v.gamma) + "}";
            else if constexpr (std::is_same_v<S, sn::CosineLR>)
                return "{\"type\": \"cosine\", \"min_lr\": " + exact(v.min_lr) +
                       ", \"warmup_epochs\": " + std::to_string(v.warmup_epochs) +
                       ", \"restart_epochs\": " + std::to_string(v.restart_epochs) + "}";
            else if constexpr (std::is_same_v<S, sn::OneCycleLR>)
                return "{\"type\": \"one_cycle\", \"max_lr\": " + exact(v.max_lr) + ", \"pct_start\": " + exact(v.pct_start) +
                       "}";
            else
                return "{\"type\": \"plateau\", \"factor\": " + exact(v.factor) +
                       ", \"patience\": " + std::to_string(v.patience) + ", \"min_lr\": " + exact(v.min_lr) + "}";
        },
        s);
}

void write_data(const std::filesystem::path& dir, const std::string& stem, const oracle_case& c, const data& d) {
    const std::size_t n = d.x.shape()[0];
    write(dir / (stem == "x" ? "x.npy" : "xv.npy"), sn::detail::serial::npy_file({n, d.x.shape()[1]}, d.x.data(), d.x.size()));
    const std::filesystem::path y = dir / (stem == "x" ? "y.npy" : "yv.npy");
    if (c.task.k == task_kind::classification) {
        std::vector<float> labels(d.labels.begin(), d.labels.end());
        write(y, sn::detail::serial::npy_file({n}, labels.data(), n));
    } else {
        write(y, sn::detail::serial::npy_file({n, d.values.shape()[1]}, d.values.data(), d.values.size()));
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    const std::filesystem::path out = argv[1];
    const std::vector<oracle_case> all = cases();
    for (std::size_t i = 0; i < all.size(); ++i) {
        const oracle_case& c = all[i];
        char stem[32];
        std::snprintf(stem, sizeof stem, "case%02zu", i);
        const std::filesystem::path dir = out / stem;
        const data d = make_data(c);
        sn::detail::model m = make_model(c);
        sn::detail::export_npy(m, dir / "start");
        sn::detail::fit_model(m, d.x, d.targets(), fit_options(c), {});
        sn::detail::export_npy(m, dir / "final");
        const std::size_t n = c.samples;
        write(dir / "x.npy", sn::detail::serial::npy_file({n, d.x.shape()[1]}, d.x.data(), d.x.size()));
        if (c.task.k == task_kind::classification) {
            std::vector<float> y(d.labels.begin(), d.labels.end());
            write(dir / "y.npy", sn::detail::serial::npy_file({n}, y.data(), n));
        } else {
            write(dir / "y.npy", sn::detail::serial::npy_file({n, d.values.shape()[1]}, d.values.data(), d.values.size()));
        }
        const std::string json = case_json(c);
        write(dir / "case.json", sn::detail::serial::bytes(json.begin(), json.end()));
    }
    const std::vector<schedule_case> scheduled = schedule_cases();
    for (std::size_t i = 0; i < scheduled.size(); ++i) {
        const schedule_case& sc = scheduled[i];
        char stem[32];
        std::snprintf(stem, sizeof stem, "sched%02zu", i);
        const std::filesystem::path dir = out / stem;
        const data d = make_data(sc.base), v = make_validation(sc.base);
        sn::detail::model m = make_model(sc.base);
        sn::detail::export_npy(m, dir / "start");
        const sn::History h = sn::detail::fit_model(m, d.x, d.targets(), fit_options(sc, v), {});
        sn::detail::export_npy(m, dir / "final");
        write_data(dir, "x", sc.base, d);
        if (sc.validation) write_data(dir, "xv", sc.base, v);
        std::string rates;
        for (const sn::EpochRecord& e : h.epochs) rates += (rates.empty() ? "" : ", ") + exact(e.learning_rate);
        std::string json = case_json(sc.base);
        json.insert(json.rfind('}'), ", \"schedule\": " + schedule_json(sc.schedule) + ", \"validation\": " +
                                         (sc.validation ? "true" : "false") + ", \"rates\": [" + rates + "]");
        write(dir / "case.json", sn::detail::serial::bytes(json.begin(), json.end()));
    }
    std::printf("parity: %zu cases and %zu schedule cases trained on %s, written to %s\n", all.size(), scheduled.size(),
                sn::kernels::arch_name(), out.c_str());
}
