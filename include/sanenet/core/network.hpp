// sanenet::Network<Task, Items...>: a network declared as a flat type list. Shapes,
// parameter counts and the structural rules are computed at compile time from constexpr
// layer specs; the work is done by the non-template engine (train/engine.hpp).
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/spec.hpp>
#include <sanenet/core/tasks.hpp>
#include <sanenet/core/type_list.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/io/serialize.hpp>
#include <sanenet/layers/layers.hpp>
#include <sanenet/lints/lint.hpp>
#include <sanenet/lints/structure.hpp>
#include <sanenet/report/summary.hpp>
#include <sanenet/train/engine.hpp>

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace sanenet {

// The seed of the weight initialization: same seed, same weights.
struct Seed {
    std::uint64_t value = 42;
};

namespace detail {

template <class T>
concept AllowItem = requires { T::sanenet_allow; };

template <class T>
struct is_layer : std::bool_constant<Layer<T>> {};

template <class List>
struct specs_of;
template <class... Ls>
struct specs_of<type_list<Ls...>> {
    static constexpr std::array<layer_spec, sizeof...(Ls)> make() {
        std::array<layer_spec, sizeof...(Ls)> a{};
        std::size_t i = 0;
        int w = 0;
        ((a[i] = spec_of<Ls>(w), w = a[i].out, ++i), ...);
        return a;
    }
    static constexpr std::array<layer_spec, sizeof...(Ls)> value = make();
};

template <class T>
constexpr task_spec task_of() {
    if constexpr (Task<T>) return T::sanenet_task;
    else return {};
}

template <class... Items>
constexpr std::size_t first_unknown_item() {
    constexpr bool known[] = {(Layer<Items> || AllowItem<Items>)..., true};
    for (std::size_t i = 0; i < sizeof...(Items); ++i)
        if (!known[i]) return i;
    return npos;
}

template <class T>
constexpr std::uint32_t waiver_bits() {
    if constexpr (AllowItem<T>) return T::waivers.bits;
    else return 0;
}

// Where a rule fires. g++ prints "note: 'sanenet::detail::layer_ok<3, sanenet::Dense<0> >'
// evaluates to false" under the message, naming the offending layer's index and type.
template <std::size_t Index, class LayerType>
inline constexpr bool layer_ok = false;
template <>
inline constexpr bool layer_ok<npos, void> = true;
template <std::size_t Index, class Item>
inline constexpr bool item_ok = false;
template <>
inline constexpr bool item_ok<npos, void> = true;

}  // namespace detail

template <class TaskT, class... Items>
class Network {
    static_assert(Task<TaskT>, SANENET_LINT_MESSAGE("E0", "task-first",
        "the first argument of sn::Network must be a task (sn::Regression, sn::Classification<K>, sn::MultiLabel<K> "
        "or sn::Binary): it decides the loss, the output rules and the metric",
        "write sn::Network<sn::Classification<10>, sn::Input<784>, ...>"));

    static constexpr std::size_t e10_ = detail::first_unknown_item<Items...>();
    static_assert(detail::item_ok<e10_, detail::at_or_void_t<e10_, detail::type_list<Items...>>>,
        SANENET_LINT_MESSAGE("E10", "unknown-item",
        "every item after the task must be a sanenet layer (Input, Dense, an activation, Dropout, GaussianNoise) or "
        "sn::Allow<...>; the item named in the note below is not",
        "remove it or replace it with a sanenet layer"));

    using layer_list = detail::filter<detail::is_layer, Items...>;
    static constexpr auto specs_ = detail::specs_of<layer_list>::value;
    static constexpr detail::task_spec task_ = detail::task_of<TaskT>();
    template <std::size_t I>
    using layer_at = detail::at_or_void_t<I, layer_list>;

public:
    using task_type = TaskT;
    static constexpr Waivers waivers{(std::uint32_t{0} | ... | detail::waiver_bits<Items>())};
    static constexpr std::span<const detail::layer_spec> layers{specs_};
    static constexpr int input_size = specs_.empty() ? 0 : specs_.front().out;
    static constexpr int output_size = specs_.empty() ? 0 : specs_[detail::last_dense(specs_) == detail::npos ? 0 : detail::last_dense(specs_)].out;
    static constexpr std::size_t parameter_count = [] {
        std::size_t n = 0;
        for (const auto& s : specs_) n += detail::dense_parameters(s);
        return n;
    }();
    static constexpr int max_width = [] {
        int w = 0;
        for (const auto& s : specs_) w = s.out > w ? s.out : w;
        return w;
    }();

private:
    // One static_assert per rule, so the first error line is the rule's own message.
    static constexpr std::size_t e1_ = detail::rule_e1_input_first(specs_);
    static_assert(detail::layer_ok<e1_, layer_at<e1_>>, SANENET_LINT_MESSAGE("E1", "input-first",
        "the first layer must be sn::Input<N> with N > 0 (the number of features), and Input may appear only there",
        "start the list with sn::Input<number of features>, right after the task"));
    static constexpr std::size_t e2_ = detail::rule_e2_dense_units(specs_);
    static_assert(detail::layer_ok<e2_, layer_at<e2_>>, SANENET_LINT_MESSAGE("E2", "dense-units",
        "a Dense layer has no units (the note below names it)",
        "give it a width > 0, e.g. sn::Dense<256>"));
    static constexpr std::size_t e3_ = detail::rule_e3_dropout_keep(specs_);
    static_assert(detail::layer_ok<e3_, layer_at<e3_>>, SANENET_LINT_MESSAGE("E3", "dropout-keep-range",
        "sn::Dropout<Keep> takes the probability of KEEPING a unit, which must be in (0, 1]",
        "use a keep probability between 0.75 and 0.9 (article item 4), e.g. sn::Dropout<0.9>"));
    static constexpr std::size_t e11_ = detail::rule_e11_noise_stddev(specs_);
    static_assert(detail::layer_ok<e11_, layer_at<e11_>>, SANENET_LINT_MESSAGE("E11", "noise-stddev-range",
        "sn::GaussianNoise<Stddev> needs a finite standard deviation >= 0",
        "use a small positive stddev relative to standardized inputs, e.g. sn::GaussianNoise<0.1>"));
    static constexpr std::size_t e9_ = detail::rule_e9_two_activations(specs_);
    static_assert(detail::layer_ok<e9_, layer_at<e9_>>, SANENET_LINT_MESSAGE("E9", "two-activations",
        "two activations in a row (the note names the first): the second only distorts the first",
        "remove one, or put a sn::Dense between them"));
    static constexpr std::size_t x1_ = waivers.template waives<lint::MissingNonlinearity>() ? detail::npos : detail::rule_x1_missing_nonlinearity(specs_);
    static_assert(detail::layer_ok<x1_, layer_at<x1_>>, SANENET_LINT_MESSAGE("X1", "missing-nonlinearity",
        "a Dense is directly followed by another Dense (the note names the first): two linear maps collapse into one, "
        "so the extra layer adds parameters but no capacity",
        "put an activation between them, e.g. sn::Dense<256>, sn::ELU, sn::Dense<128>", MissingNonlinearity));
    static constexpr std::size_t e6_ = detail::rule_e6_output_only(specs_);
    static_assert(detail::layer_ok<e6_, layer_at<e6_>>, SANENET_LINT_MESSAGE("E6", "output-only-activation",
        "Softmax, Sigmoid and Identity are output activations and may appear only after the last Dense",
        "use sn::ReLU, sn::LeakyReLU, sn::ELU or sn::Tanh between hidden layers"));
    static constexpr std::size_t e4_ = detail::rule_e4_output_activation(specs_);
    static_assert(detail::layer_ok<e4_, layer_at<e4_>>, SANENET_LINT_MESSAGE("E4", "missing-output-activation",
        "the network must end with its last Dense followed by the output activation: sn::Identity for Regression, "
        "sn::Softmax for Classification, sn::Sigmoid for MultiLabel and Binary",
        "end the list with e.g. sn::Dense<10>, sn::Softmax"));
    static constexpr std::size_t e5_ = detail::rule_e5_nothing_after_output(specs_);
    static_assert(detail::layer_ok<e5_, layer_at<e5_>>, SANENET_LINT_MESSAGE("E5", "nothing-after-output",
        "the output activation must be the last item; the item named in the note follows it",
        "remove it, or move a regularizer before the last Dense"));
    static constexpr std::size_t e7_ = detail::rule_e7_regularizer_before_output(specs_);
    static_assert(detail::layer_ok<e7_, layer_at<e7_>>, SANENET_LINT_MESSAGE("E7", "regularizer-before-output",
        "Dropout or GaussianNoise between the last Dense and the output activation perturbs the prediction itself",
        "put it before the last Dense: sn::Dropout<0.9>, sn::Dense<K>, <output activation>"));
    static constexpr std::size_t e8_ = detail::rule_e8_output_width(specs_, task_);
    static_assert(detail::layer_ok<e8_, layer_at<e8_>>, SANENET_LINT_MESSAGE("E8", "output-width",
        "the last Dense must have as many units as the task has outputs (K for Classification<K> and MultiLabel<K>, "
        "1 for Binary)",
        "make the last layer sn::Dense<K> with the task's K"));
    static constexpr std::size_t l72_ = detail::rule_l72_output_matches_task(specs_, task_);
    static_assert(detail::layer_ok<l72_, layer_at<l72_>>, SANENET_LINT_MESSAGE("L7.2", "output-matches-task",
        "Classification must end in Softmax and MultiLabel/Binary in Sigmoid: the loss is computed from the logits "
        "together with that activation, any other output makes it wrong",
        "end with sn::Dense<K>, sn::Softmax for Classification<K> or sn::Dense<K>, sn::Sigmoid for MultiLabel<K>/Binary; "
        "for real-valued targets use sn::Regression"));
    static constexpr std::size_t l71_ = waivers.template waives<lint::BoundedRegressionOutput>() ? detail::npos : detail::rule_l71_bounded_regression_output(specs_, task_);
    static_assert(detail::layer_ok<l71_, layer_at<l71_>>, SANENET_LINT_MESSAGE("L7.1", "bounded-regression-output",
        "a Regression network ends in a bounded or one-sided activation (article item 7): standardized targets lie on "
        "both sides of zero, outputs that cannot reach them stay stuck and their gradient dies",
        "end with sn::Dense<outputs>, sn::Identity", BoundedRegressionOutput));

public:
    Network() : Network(Seed{}) {}
    explicit Network(Seed seed) : model_(specs_, task_, seed.value) {}

    // A Keras-like table: layer, output shape, parameters.
    std::string summary() const { return detail::summary_table(specs_, task_); }

    // Inference (dropout and noise off) on rows of x; returns probabilities for
    // Classification and MultiLabel. threads: 0 = all cores.
    matrix predict(const matrix& x, int threads = 0) const { return detail::predict(model_, x, threads); }

    // One sample, no allocation: in has input_size values, out receives output_size.
    void predict_one(std::span<const float> in, std::span<float> out) const {
        detail::check_predict_one(in.size(), out.size(), input_size, output_size);
        if constexpr (max_width <= 8192) {
            alignas(kernels::alignment) float ping[max_width];
            alignas(kernels::alignment) float pong[max_width];
            model_.infer(in.data(), 1, out.data(), ping, pong, 1);
        } else {
            // Too wide for the stack: per-thread buffers, allocated on the first call only.
            thread_local kernels::aligned_buffer<float> ping(max_width), pong(max_width);
            model_.infer(in.data(), 1, out.data(), ping.data(), pong.data(), 1);
        }
    }

    // Binary file with magic, version, architecture fingerprint and checksum; written atomically.
    void save(const std::filesystem::path& path) const { detail::save_model(model_, path); }
    // Throws io_error naming what differs and leaves the network unchanged on any problem.
    void load(const std::filesystem::path& path) { detail::load_model(model_, path); }

    // The engine, for sn::fit and the tools; not needed for ordinary use.
    detail::model& engine() { return model_; }
    const detail::model& engine() const { return model_; }

private:
    detail::model model_;
};

// static_assert(sn::valid<Net>) next to a network's alias runs its compile-time checks there:
// true for a well-formed network, a compile error naming the rule otherwise.
template <class Net>
inline constexpr bool valid = sizeof(Net) > 0 && Net::parameter_count >= 0;

}  // namespace sanenet
