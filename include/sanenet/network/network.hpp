// sanenet::Network<Task, Items...>: a network declared as a flat type list. Shapes,
// parameter counts and the structural rules are computed at compile time from constexpr
// layer specs; the work is done by the non-template model (model/model.hpp).
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/spec.hpp>
#include <sanenet/core/tasks.hpp>
#include <sanenet/core/type_list.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/layers/layers.hpp>
#include <sanenet/lints/compile_time.hpp>
#include <sanenet/lints/lint.hpp>
#include <sanenet/lints/structure.hpp>
#include <sanenet/model/model.hpp>
#include <sanenet/network/summary.hpp>

#include <array>
#include <concepts>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>

namespace sanenet::inline SANENET_ABI {

class Standardizer;  // data/standardizer.hpp

// The seed of the weight initialization: same seed, same weights.
struct Seed {
    std::uint64_t value = 42;
};

namespace detail {

// sn::Allow<...> is recognized by its template, not by a member: a malformed Allow (E12)
// must still count as an Allow, or clang reports a second, misleading error (E10).
template <class T>
struct is_allow : std::false_type {};
template <class... Tags>
struct is_allow<Allow<Tags...>> : std::true_type {};
template <class T>
concept AllowItem = is_allow<T>::value;

template <class T>
struct is_layer : std::bool_constant<Layer<T>> {};

// Defined in io/model_file.hpp, so that a program that never saves does not parse file code.
template <class Path>
struct model_file;

// The number of values of a contiguous range whose size is in its type (C array, std::array,
// fixed-extent span), or std::dynamic_extent.
template <class T>
struct static_extent : std::integral_constant<std::size_t, std::dynamic_extent> {};
template <class T, std::size_t N>
struct static_extent<T[N]> : std::integral_constant<std::size_t, N> {};
template <class T, std::size_t N>
struct static_extent<std::array<T, N>> : std::integral_constant<std::size_t, N> {};
template <class T, std::size_t N>
struct static_extent<std::span<T, N>> : std::integral_constant<std::size_t, N> {};
template <class T>
inline constexpr std::size_t static_extent_of = static_extent<std::remove_cvref_t<T>>::value;

// A Standardizer's statistics as the model keeps them (a template, so that network/ needs only
// the declaration of sn::Standardizer).
template <class S>
scaler scaler_of(const S& s) {
    return scaler{s.mean(), s.scale()};
}

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
    if constexpr (Task<T>)
        return T::sanenet_task;
    else
        return {};
}

template <class... Items>
constexpr std::size_t first_unknown_item() {
    constexpr bool known[] = {(Layer<Items> || AllowItem<Items>)..., true};
    for (std::size_t i = 0; i < sizeof...(Items); ++i)
        if (!known[i]) return i;
    return npos;
}

template <class T>
struct waiver_bits_of : std::integral_constant<std::uint32_t, 0> {};
template <class... Tags>
struct waiver_bits_of<Allow<Tags...>> : std::integral_constant<std::uint32_t, (std::uint32_t{0} | ... | tag_bit<Tags>())> {};

// False for an Allow that names something other than a lint tag (E12 reports it).
template <class T>
inline constexpr bool waiver_well_formed = true;
template <class... Tags>
inline constexpr bool waiver_well_formed<Allow<Tags...>> = (LintTag<Tags> && ...);

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

// Inside Network: a rule's offending index, and the static_assert whose note names that
// layer. A rule runs only while every rule before it passed (prev##clear), so a network
// gets one error, the first, and no follow-ups computed from a broken structure.
#define SANENET_RULE(var, prev, index_expr, message)                              \
    static constexpr std::size_t var = prev##clear ? (index_expr) : detail::npos; \
    static constexpr bool var##clear = prev##clear && var == detail::npos;        \
    static_assert(detail::layer_ok<var, layer_at<var>>, message)
#define SANENET_UNLESS_WAIVED(Tag, expr) (waivers.template waives<lint::Tag>() ? detail::npos : (expr))
// A warning lint is a constructor marked deprecated, chosen by a requires clause, so the
// warning lands on the user's line (where the network is constructed) and survives -isystem.
#define SANENET_WARNING_CONSTRUCTORS(mask, message)     \
    [[deprecated(message)]] Network()                   \
        requires(warnings_ == (mask))                   \
        : Network(Seed{}, constructed{}) {}             \
    [[deprecated(message)]] explicit Network(Seed seed) \
        requires(warnings_ == (mask))                   \
        : Network(seed, constructed{}) {}

template <class TaskT, class... Items>
class Network {
    using layer_list = detail::filter<detail::is_layer, Items...>;
    static constexpr auto specs_ = detail::specs_of<layer_list>::value;
    static constexpr detail::task_spec task_ = detail::task_of<TaskT>();
    template <std::size_t I>
    using layer_at = detail::at_or_void_t<I, layer_list>;

public:
    using task_type = TaskT;
    static constexpr Waivers waivers{(std::uint32_t{0} | ... | detail::waiver_bits_of<Items>::value)};
    static constexpr std::span<const detail::layer_spec> layers{specs_};
    static constexpr int input_size = specs_.empty() ? 0 : specs_.front().out;
    static constexpr int output_size =
        specs_.empty() ? 0 : specs_[detail::last_dense(specs_) == detail::npos ? 0 : detail::last_dense(specs_)].out;
    static constexpr std::size_t parameter_count = [] {
        std::size_t n = 0;
        for (const auto& s : specs_) n += detail::parameter_count(s);
        return n;
    }();
    static constexpr int max_width = [] {
        int w = 0;
        for (const auto& s : specs_) w = s.out > w ? s.out : w;
        return w;
    }();

private:
#if !defined(SANENET_TESTING_DISABLE_LINTS)
    // One static_assert per rule, in this order, so the first error line is the first
    // broken rule's own message.
    static_assert(Task<TaskT>, SANENET_E0_MESSAGE);
    static constexpr std::size_t e10_ = detail::first_unknown_item<Items...>();
    static_assert(detail::item_ok<e10_, detail::at_or_void_t<e10_, detail::type_list<Items...>>>, SANENET_E10_MESSAGE);
    static constexpr bool e13_clear = !Task<TaskT> || detail::task_outputs_valid(task_);
    static_assert(e13_clear, SANENET_E13_MESSAGE);
    static constexpr bool start_clear =
        Task<TaskT> && e10_ == detail::npos && e13_clear && (detail::waiver_well_formed<Items> && ...);
    SANENET_RULE(e1_, start_, detail::rule_e1_input_first(specs_), SANENET_E1_MESSAGE);
    SANENET_RULE(e2_, e1_, detail::rule_e2_dense_units(specs_), SANENET_E2_MESSAGE);
    SANENET_RULE(e3_, e2_, detail::rule_e3_dropout_keep(specs_), SANENET_E3_MESSAGE);
    SANENET_RULE(e11_, e3_, detail::rule_e11_noise_stddev(specs_), SANENET_E11_MESSAGE);
    SANENET_RULE(e9_, e11_, detail::rule_e9_two_activations(specs_), SANENET_E9_MESSAGE);
    SANENET_RULE(x1_, e9_, SANENET_UNLESS_WAIVED(MissingNonlinearity, detail::rule_x1_missing_nonlinearity(specs_)),
                 SANENET_X1_MESSAGE);
    SANENET_RULE(e6_, x1_, detail::rule_e6_output_only(specs_), SANENET_E6_MESSAGE);
    SANENET_RULE(e14_, e6_, detail::rule_e14_norm_before_output(specs_), SANENET_E14_MESSAGE);
    SANENET_RULE(e4_, e14_, detail::rule_e4_output_activation(specs_), SANENET_E4_MESSAGE);
    SANENET_RULE(e5_, e4_, detail::rule_e5_nothing_after_output(specs_), SANENET_E5_MESSAGE);
    SANENET_RULE(e7_, e5_, detail::rule_e7_regularizer_before_output(specs_), SANENET_E7_MESSAGE);
    SANENET_RULE(e8_, e7_, detail::rule_e8_output_width(specs_, task_), SANENET_E8_MESSAGE);
    SANENET_RULE(l72_, e8_, detail::rule_l72_output_matches_task(specs_, task_), SANENET_L7_2_MESSAGE);
    SANENET_RULE(l71_, l72_,
                 SANENET_UNLESS_WAIVED(BoundedRegressionOutput, detail::rule_l71_bounded_regression_output(specs_, task_)),
                 SANENET_L7_1_MESSAGE);
    SANENET_RULE(l42_, l71_, SANENET_UNLESS_WAIVED(KeepReadsAsDropRate, detail::rule_l42_keep_reads_as_drop_rate(specs_)),
                 SANENET_L4_2_MESSAGE);
    SANENET_RULE(l91_, l42_, SANENET_UNLESS_WAIVED(ConstantInit, detail::rule_l91_constant_init(specs_)), SANENET_L9_1_MESSAGE);

    // Warnings only for a network without errors: they would be computed from a broken structure.
    static constexpr int warnings_ =
        !l91_clear
            ? 0
            : (!waivers.template waives<lint::NoRegularization>() && detail::rule_l41_no_regularization(specs_) ? 1 : 0) |
                  (!waivers.template waives<lint::TooDeep>() && detail::rule_l101_too_deep(specs_) ? 2 : 0) |
                  (SANENET_UNLESS_WAIVED(TooFewHiddenUnits, detail::rule_l111_too_few_hidden_units(specs_, task_)) != detail::npos
                       ? 4
                       : 0) |
                  (SANENET_UNLESS_WAIVED(HiddenSigmoid, detail::rule_l83_hidden_sigmoid(specs_)) != detail::npos ? 8 : 0);
#else
    static constexpr int warnings_ = 0;
#endif
    struct constructed {};
    Network(Seed seed, constructed) : model_(specs_, task_, seed.value) {}

public:
    Network()
        requires(warnings_ == 0)
        : Network(Seed{}, constructed{}) {}
    explicit Network(Seed seed)
        requires(warnings_ == 0)
        : Network(seed, constructed{}) {}
    SANENET_WARNING_CONSTRUCTORS(1, SANENET_L4_1_MESSAGE)
    SANENET_WARNING_CONSTRUCTORS(2, SANENET_L10_1_MESSAGE)
    SANENET_WARNING_CONSTRUCTORS(3, SANENET_L4_1_MESSAGE " " SANENET_L10_1_MESSAGE)
    SANENET_WARNING_CONSTRUCTORS(4, SANENET_L11_1_MESSAGE)
    SANENET_WARNING_CONSTRUCTORS(5, SANENET_L4_1_MESSAGE " " SANENET_L11_1_MESSAGE)
    SANENET_WARNING_CONSTRUCTORS(6, SANENET_L10_1_MESSAGE " " SANENET_L11_1_MESSAGE)
    SANENET_WARNING_CONSTRUCTORS(7, SANENET_L4_1_MESSAGE " " SANENET_L10_1_MESSAGE " " SANENET_L11_1_MESSAGE)
    SANENET_WARNING_CONSTRUCTORS(8, SANENET_L8_3_MESSAGE)
    SANENET_WARNING_CONSTRUCTORS(9, SANENET_L4_1_MESSAGE " " SANENET_L8_3_MESSAGE)
    SANENET_WARNING_CONSTRUCTORS(10, SANENET_L10_1_MESSAGE " " SANENET_L8_3_MESSAGE)
    SANENET_WARNING_CONSTRUCTORS(11, SANENET_L4_1_MESSAGE " " SANENET_L10_1_MESSAGE " " SANENET_L8_3_MESSAGE)
    SANENET_WARNING_CONSTRUCTORS(12, SANENET_L11_1_MESSAGE " " SANENET_L8_3_MESSAGE)
    SANENET_WARNING_CONSTRUCTORS(13, SANENET_L4_1_MESSAGE " " SANENET_L11_1_MESSAGE " " SANENET_L8_3_MESSAGE)
    SANENET_WARNING_CONSTRUCTORS(14, SANENET_L10_1_MESSAGE " " SANENET_L11_1_MESSAGE " " SANENET_L8_3_MESSAGE)
    SANENET_WARNING_CONSTRUCTORS(15, SANENET_L4_1_MESSAGE " " SANENET_L10_1_MESSAGE " " SANENET_L11_1_MESSAGE
                                                          " " SANENET_L8_3_MESSAGE)

    // A Keras-like table: layer, output shape, parameters.
    std::string summary() const { return detail::summary_table(specs_, task_); }

    // Inference (dropout and noise off) on rows of x; returns probabilities for
    // Classification and MultiLabel. threads: 0 = all cores.
    // With scalers attached, x is raw and the predictions are in the targets' units.
    matrix predict(const matrix& x, int threads = 0) const {
        const detail::read_use use(model_, "predict");
        return detail::predict_raw(model_, x, threads);
    }

    // One sample, no allocation, sizes checked at compile time: in has input_size values, out
    // receives output_size (C arrays, std::arrays and fixed-extent spans of those sizes).
    // noexcept, so it cannot refuse by throwing: called while fit or load runs on this network,
    // it ends the program (std::terminate) with the argument_error's message (docs/reliability.md).
    void predict_one(std::span<const float, static_cast<std::size_t>(input_size)> in,
                     std::span<float, static_cast<std::size_t>(output_size)> out) const noexcept {
        predict_one_unchecked(in.data(), out.data());
    }
    // One sample from anything a std::span is made of (std::vector, a dynamic std::span): the
    // sizes are checked at run time (shape_error); a size written in the argument's type is
    // checked at compile time.
    template <class In, class Out>
        requires std::convertible_to<In&&, std::span<const float>> && std::convertible_to<Out&&, std::span<float>> &&
                 (!(std::convertible_to<In &&, std::span<const float, static_cast<std::size_t>(input_size)>> &&
                    std::convertible_to<Out &&, std::span<float, static_cast<std::size_t>(output_size)>>))
    void predict_one(In&& in, Out&& out) const {
        static_assert(detail::static_extent_of<In> == std::dynamic_extent ||
                          detail::static_extent_of<In> == static_cast<std::size_t>(input_size),
                      "sanenet: predict_one: the input's type holds another number of values than the network's Input<N>");
        static_assert(detail::static_extent_of<Out> == std::dynamic_extent ||
                          detail::static_extent_of<Out> == static_cast<std::size_t>(output_size),
                      "sanenet: predict_one: the output's type holds another number of values than the network's outputs");
        const std::span<const float> i(in);
        const std::span<float> o(out);
        detail::check_predict_one(i.size(), o.size(), input_size, output_size);
        predict_one_unchecked(i.data(), o.data());
    }

    // The normalization travels with the model (article item 1, at deployment time): once a
    // Standardizer fitted on the training inputs is attached, predict, predict_one, evaluate,
    // fit, find_learning_rate and doctor take raw inputs and standardize them themselves, and
    // save, load, load_any and export_header carry it. Throws shape_error when it was fitted on
    // another width, argument_error when it was never fitted.
    template <std::same_as<Standardizer> S>
    void attach_input_scaler(const S& scaler) {
        const detail::write_use use(model_, "attach_input_scaler");
        model_.set_input_scaler(detail::scaler_of(scaler), "attach_input_scaler");
    }
    // Regression: a Standardizer fitted on the training targets. predict and predict_one then
    // return predictions in the targets' units, and fit and evaluate take raw targets (their
    // losses stay in the standardized units the network trains in).
    template <std::same_as<Standardizer> S>
        requires(task_.k == detail::task_kind::regression)
    void attach_target_scaler(const S& scaler) {
        const detail::write_use use(model_, "attach_target_scaler");
        model_.set_target_scaler(detail::scaler_of(scaler), "attach_target_scaler");
    }
    void detach_scalers() {
        const detail::write_use use(model_, "detach_scalers");
        model_.clear_scalers();
    }
    bool has_input_scaler() const { return !model_.input_scaler().empty(); }
    bool has_target_scaler() const { return !model_.target_scaler().empty(); }

    // Binary file with magic, version, architecture fingerprint and checksum; written atomically.
    // path: anything a std::filesystem::path is made from (io/model_file.hpp).
    template <class Path>
    void save(const Path& path) const {
        const detail::read_use use(model_, "save");
        detail::model_file<Path>::save(model_, path, waivers.bits);
    }
    // Throws io_error naming what differs and leaves the network unchanged on any problem.
    template <class Path>
    void load(const Path& path) {
        const detail::write_use use(model_, "load");
        detail::model_file<Path>::load(model_, path);
    }

    // The model, for sn::fit and the tools; not needed for ordinary use (not a stable API).
    detail::model& engine() { return model_; }
    const detail::model& engine() const { return model_; }

private:
    void predict_one_unchecked(const float* in, float* out) const noexcept {
        const detail::read_use use(model_, "predict_one");
        if constexpr (max_width <= 8192) {
            alignas(kernels::alignment) float ping[max_width];
            alignas(kernels::alignment) float pong[max_width];
            model_.infer_raw(in, 1, out, ping, pong, 1);
        } else {
            // Too wide for the stack: per-thread buffers, allocated on the first call only.
            const auto [ping, pong] = detail::row_workspaces(static_cast<std::size_t>(max_width));
            model_.infer_raw(in, 1, out, ping, pong, 1);
        }
    }

    detail::model model_;
};

#undef SANENET_RULE
#undef SANENET_UNLESS_WAIVED
#undef SANENET_WARNING_CONSTRUCTORS

// static_assert(sn::valid<Net>) next to a network's alias runs its compile-time checks there:
// true for a well-formed network, a compile error naming the rule otherwise.
template <class Net>
inline constexpr bool valid = sizeof(Net) > 0 && Net::parameter_count >= 0;

}  // namespace sanenet
