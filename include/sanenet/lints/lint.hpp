// The one lint mechanism shared by compile-time and run-time checks: a tag per
// waivable lint, one message macro, waivers (Allow<> in a network type, allow<>() at
// run time) and the Diagnostic that run-time lints report.
#pragma once

#include <sanenet/core/config.hpp>

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

// One message format for every lint, built into one string literal:
//   sanenet <ID> <slug>: <what and why>. Fix: <exact change>. [Waive: sn::Allow<sn::lint::<Tag>>.]
// E-rules pass no tag: they have no waiver.
#define SANENET_STRINGIZE_VALUE(x) SANENET_STRINGIZE(x)
#define SANENET_STRINGIZE(x) #x
#define SANENET_LINT_MESSAGE(id, slug, what, fix, ...) \
    "sanenet " id " " slug ": " what ". Fix: " fix "." __VA_OPT__(" Waive: sn::Allow<sn::lint::" #__VA_ARGS__ ">.")

namespace sanenet::inline SANENET_ABI {

namespace detail {
// Each waivable lint has a bit; a waiver set is a bitmask, so it costs nothing at run time.
template <int Bit>
struct lint_tag {
    static constexpr std::uint32_t bit = std::uint32_t{1} << Bit;
};
}  // namespace detail

// Every waivable lint, once: tag, bit, ID, slug.
#define SANENET_LINT_TAGS(X)                                            \
    X(UnnormalizedInputs, 0, "L1.1", "unnormalized-inputs")             \
    X(FeatureScaleSpread, 1, "L1.2", "feature-scale-spread")            \
    X(ConstantFeature, 2, "L1.3", "constant-feature")                   \
    X(UnnormalizedTargets, 3, "L1.4", "unnormalized-targets")           \
    X(NoValidation, 4, "L2.1", "no-validation")                         \
    X(ValidationLeak, 5, "L2.2", "validation-leak")                     \
    X(NoBetterThanBaseline, 6, "L2.3", "no-better-than-baseline")       \
    X(NoRegularization, 7, "L4.1", "no-regularization")                 \
    X(KeepReadsAsDropRate, 8, "L4.2", "keep-reads-as-drop-rate")        \
    X(Overfitting, 9, "L4.3", "overfitting")                            \
    X(LargeBatch, 10, "L5.1", "large-batch")                            \
    X(ClippingMasksLR, 11, "L6.2", "clipping-masks-lr")                 \
    X(BoundedRegressionOutput, 12, "L7.1", "bounded-regression-output") \
    X(DeadUnits, 13, "L8.1", "dead-units")                              \
    X(VanishingGradient, 14, "L8.2", "vanishing-gradient")              \
    X(ConstantInit, 15, "L9.1", "constant-init")                        \
    X(LossAtInit, 16, "L9.2", "loss-at-init")                           \
    X(TooDeep, 17, "L10.1", "too-deep")                                 \
    X(TooFewHiddenUnits, 18, "L11.1", "too-few-hidden-units")           \
    X(MissingNonlinearity, 19, "X1", "missing-nonlinearity")            \
    X(SignalAtInit, 20, "L9.3", "signal-at-init")                       \
    X(HiddenSigmoid, 21, "L8.3", "hidden-sigmoid")                      \
    X(QuantizationCost, 22, "L2.4", "quantization-cost")

namespace lint {
#define SANENET_DECLARE_LINT_TAG(Tag, Bit, Id, Slug)   \
    struct Tag : detail::lint_tag<Bit> {               \
        static constexpr std::string_view id = Id;     \
        static constexpr std::string_view slug = Slug; \
    };
SANENET_LINT_TAGS(SANENET_DECLARE_LINT_TAG)
#undef SANENET_DECLARE_LINT_TAG
}  // namespace lint

namespace detail {
// The waiver bit of a run-time finding's ID; 0 for a lint that has no tag.
SANENET_INLINE std::uint32_t waiver_bit(std::string_view id);
}  // namespace detail

template <class T>
concept LintTag = requires {
    { T::bit } -> std::convertible_to<std::uint32_t>;
    { T::id } -> std::convertible_to<std::string_view>;
};

namespace detail {
template <class T>
constexpr std::uint32_t tag_bit() {
    if constexpr (LintTag<T>)
        return T::bit;
    else
        return 0;
}
}  // namespace detail

// A set of waived lints.
struct Waivers {
    std::uint32_t bits = 0;
    template <LintTag Tag>
    constexpr bool waives() const {
        return (bits & Tag::bit) != 0;
    }
    constexpr Waivers operator|(Waivers o) const { return Waivers{bits | o.bits}; }
    friend constexpr bool operator==(Waivers, Waivers) = default;
};

// Run-time waivers: FitOptions{.allow = sn::allow<sn::lint::LargeBatch>()}.
template <LintTag... Tags>
constexpr Waivers allow() {
    return Waivers{(std::uint32_t{0} | ... | Tags::bit)};
}

// Compile-time waivers: an item of a network's type list, not a layer. E-rules have no
// tag, so they cannot be waived.
template <class... Tags>
struct Allow {
    static constexpr bool tags_are_lint_tags = (LintTag<Tags> && ...);
    static_assert(
        tags_are_lint_tags,
        SANENET_LINT_MESSAGE(
            "E12", "unknown-waiver",
            "sn::Allow<...> takes only lint tags from sn::lint (e.g. sn::lint::BoundedRegressionOutput); the structural "
            "rules (E0-E13) and the other lints without a tag (L7.2) cannot be waived",
            "name the tag printed in the lint's own message, or fix the structure"));
};

enum class Severity : std::uint8_t { info, warning, error };

// What a run-time lint found: the catalogue ID, how bad, the one-line message
// (with the fix) and the numbers that triggered it.
struct Diagnostic {
    std::string id;
    Severity severity = Severity::warning;
    std::string message;
    std::string evidence;
};

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

SANENET_INLINE std::uint32_t waiver_bit(std::string_view id) {
#define SANENET_TAG_BIT(Tag, Bit, Id, Slug) \
    if (id == Id) return std::uint32_t{1} << Bit;
    SANENET_LINT_TAGS(SANENET_TAG_BIT)
#undef SANENET_TAG_BIT
    return 0;
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
