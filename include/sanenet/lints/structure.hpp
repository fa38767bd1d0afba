// Structural rules E0-E14: a network that breaks one is not a network. Each rule is a
// predicate over the layer specs that returns the index of the first offending layer (or
// npos), declared next to its message. Network static_asserts each one. E-rules have no
// tag, so they cannot be waived.
#pragma once

#include <sanenet/core/spec.hpp>
#include <sanenet/lints/lint.hpp>

#include <cstddef>
#include <limits>
#include <span>

namespace sanenet::inline SANENET_ABI::detail {

inline constexpr std::size_t npos = static_cast<std::size_t>(-1);
using specs_view = std::span<const layer_spec>;

constexpr std::size_t last_dense(specs_view l) {
    for (std::size_t i = l.size(); i-- > 0;)
        if (l[i].k == kind::dense) return i;
    return npos;
}

// The output activation: the first item after the last Dense, when it is an activation.
constexpr std::size_t output_activation(specs_view l) {
    const std::size_t d = last_dense(l);
    if (d == npos || d + 1 >= l.size() || l[d + 1].k != kind::activation) return npos;
    return d + 1;
}

// The next item after i that is not a regularizer (Dropout, GaussianNoise), or npos.
constexpr std::size_t next_non_regularizer(specs_view l, std::size_t i) {
    for (std::size_t j = i + 1; j < l.size(); ++j)
        if (!is_regularizer(l[j].k)) return j;
    return npos;
}

template <class Pred>
constexpr std::size_t find_first(specs_view l, Pred p) {
    for (std::size_t i = 0; i < l.size(); ++i)
        if (p(l, i)) return i;
    return npos;
}

#define SANENET_E0_MESSAGE                                                                                           \
    SANENET_LINT_MESSAGE("E0", "task-first",                                                                         \
                         "the first argument of sn::Network must be a task (sn::Regression, sn::Classification<K>, " \
                         "sn::MultiLabel<K> or sn::Binary): it decides the loss, the output rules and the metric",   \
                         "write sn::Network<sn::Classification<10>, sn::Input<784>, ...>")

// E13: a task with no valid number of outputs.
constexpr bool task_outputs_valid(task_spec t) {
    return t.k == task_kind::regression || (t.k == task_kind::classification ? t.outputs >= 2 : t.outputs >= 1);
}
#define SANENET_E13_MESSAGE                                                                                             \
    SANENET_LINT_MESSAGE("E13", "task-outputs",                                                                         \
                         "sn::Classification<K> needs K >= 2 classes (a softmax over one class is always 1 and learns " \
                         "nothing) and sn::MultiLabel<K> needs K >= 1 outputs",                                         \
                         "give the number of classes; for a yes/no target use sn::Binary with sn::Dense<1>, sn::Sigmoid")

// E10: an item that is neither a layer nor sn::Allow<...> (checked on the types, in network.hpp).
#define SANENET_E10_MESSAGE                                                                                          \
    SANENET_LINT_MESSAGE("E10", "unknown-item",                                                                      \
                         "every item after the task must be a sanenet layer (Input, Dense, an activation, Dropout, " \
                         "GaussianNoise, LayerNorm) or sn::Allow<...>; the item named in the note below is not",     \
                         "remove it or replace it with a sanenet layer")

// E1: Input<N> first (N > 0), and nowhere else.
constexpr std::size_t rule_e1_input_first(specs_view l) {
    if (l.empty()) return 0;
    return find_first(
        l, [](specs_view s, std::size_t i) { return (i == 0) != (s[i].k == kind::input) || (i == 0 && s[i].out <= 0); });
}
#define SANENET_E1_MESSAGE                                                                                          \
    SANENET_LINT_MESSAGE("E1", "input-first",                                                                       \
                         "the first layer must be sn::Input<N> with N > 0 (the number of features), and Input may " \
                         "appear only there",                                                                       \
                         "start the list with sn::Input<number of features>, right after the task")

// E2: a Dense layer with no units.
constexpr std::size_t rule_e2_dense_units(specs_view l) {
    return find_first(l, [](specs_view s, std::size_t i) { return s[i].k == kind::dense && s[i].out <= 0; });
}
#define SANENET_E2_MESSAGE                                                                            \
    SANENET_LINT_MESSAGE("E2", "dense-units", "a Dense layer has no units (the note below names it)", \
                         "give it a width > 0, e.g. sn::Dense<256>")

// E3: Dropout keep probability outside (0, 1].
constexpr std::size_t rule_e3_dropout_keep(specs_view l) {
    return find_first(
        l, [](specs_view s, std::size_t i) { return s[i].k == kind::dropout && !(s[i].param > 0.f && s[i].param <= 1.f); });
}
#define SANENET_E3_MESSAGE                                                                                     \
    SANENET_LINT_MESSAGE("E3", "dropout-keep-range",                                                           \
                         "sn::Dropout<Keep> takes the probability of KEEPING a unit, which must be in (0, 1]", \
                         "use a keep probability between 0.75 and 0.9 (article item 4), e.g. sn::Dropout<0.9>")

// E11: GaussianNoise with a negative or non-finite stddev.
constexpr std::size_t rule_e11_noise_stddev(specs_view l) {
    return find_first(l, [](specs_view s, std::size_t i) {
        return s[i].k == kind::gaussian_noise && !(s[i].param >= 0.f && s[i].param <= std::numeric_limits<float>::max());
    });
}
#define SANENET_E11_MESSAGE                                                                                               \
    SANENET_LINT_MESSAGE("E11", "noise-stddev-range", "sn::GaussianNoise<Stddev> needs a finite standard deviation >= 0", \
                         "use a small positive stddev relative to standardized inputs, e.g. sn::GaussianNoise<0.1>")

// E4: no output activation after the last Dense (or no Dense at all).
constexpr std::size_t rule_e4_output_activation(specs_view l) {
    if (output_activation(l) != npos || l.empty()) return npos;
    const std::size_t d = last_dense(l);
    if (d == npos) return l.size() - 1;
    // A regularizer between the last Dense and an activation is E7's case, a LayerNorm E14's.
    for (std::size_t j = d + 1; j < l.size() && l[j].k != kind::activation; ++j)
        if (l[j].k == kind::layer_norm) return npos;
    const std::size_t n = next_non_regularizer(l, d);
    return (n != npos && l[n].k == kind::activation) ? npos : d;
}
#define SANENET_E4_MESSAGE                                                                                               \
    SANENET_LINT_MESSAGE("E4", "missing-output-activation",                                                              \
                         "the network must end with its last Dense followed by the output activation: sn::Identity for " \
                         "Regression, sn::Softmax for Classification, sn::Sigmoid for MultiLabel and Binary",            \
                         "end the list with sn::Dense<outputs> and the task's output activation, e.g. sn::Dense<1>, "    \
                         "sn::Identity (Regression) or sn::Dense<10>, sn::Softmax (Classification<10>)")

// E14: LayerNorm after the last Dense, where it would normalize the outputs themselves.
constexpr std::size_t rule_e14_norm_before_output(specs_view l) {
    const std::size_t d = last_dense(l);
    if (d == npos) return npos;
    for (std::size_t j = d + 1; j < l.size() && l[j].k != kind::activation; ++j)
        if (l[j].k == kind::layer_norm) return j;
    return npos;
}
#define SANENET_E14_MESSAGE                                                                                                \
    SANENET_LINT_MESSAGE("E14", "norm-before-output",                                                                      \
                         "a LayerNorm after the last Dense normalizes the outputs themselves: every sample's outputs are " \
                         "forced to the same mean and spread (its bias and gain), so regression targets and confident "    \
                         "class scores are out of reach",                                                                  \
                         "normalize hidden features instead: sn::LayerNorm, sn::Dense<outputs>, <output activation>")

// E5: something after the output activation.
constexpr std::size_t rule_e5_nothing_after_output(specs_view l) {
    const std::size_t o = output_activation(l);
    return (o != npos && o + 1 < l.size()) ? o + 1 : npos;
}
#define SANENET_E5_MESSAGE                                                                                     \
    SANENET_LINT_MESSAGE("E5", "nothing-after-output",                                                         \
                         "the output activation must be the last item; the item named in the note follows it", \
                         "remove it, or move a regularizer before the last Dense")

// E6: Softmax or Identity anywhere but as the output activation (a hidden Sigmoid is legal: L8.3 warns).
constexpr std::size_t rule_e6_output_only(specs_view l) {
    const std::size_t o = output_activation(l);
    return find_first(l, [o](specs_view s, std::size_t i) {
        return s[i].k == kind::activation && is_output_only(s[i].a) && i != o && next_non_regularizer(s, i) != npos;
    });
}
#define SANENET_E6_MESSAGE                                                                                                 \
    SANENET_LINT_MESSAGE("E6", "output-only-activation",                                                                   \
                         "Softmax and Identity are output activations and may appear only after the last Dense: a hidden " \
                         "Softmax couples all the units of a layer, a hidden Identity leaves two Dense layers with no "    \
                         "nonlinearity between them",                                                                      \
                         "use sn::ReLU, sn::LeakyReLU, sn::ELU, sn::GELU, sn::SiLU or sn::Tanh between hidden layers")

// E7: Dropout or GaussianNoise between the last Dense and the output activation.
constexpr std::size_t rule_e7_regularizer_before_output(specs_view l) {
    const std::size_t d = last_dense(l);
    if (d == npos) return npos;
    for (std::size_t j = d + 1; j < l.size() && is_regularizer(l[j].k); ++j) {
        const std::size_t n = next_non_regularizer(l, j);
        if (n != npos && l[n].k == kind::activation) return j;
    }
    return npos;
}
#define SANENET_E7_MESSAGE                                                                                         \
    SANENET_LINT_MESSAGE("E7", "regularizer-before-output",                                                        \
                         "Dropout or GaussianNoise between the last Dense and the output activation perturbs the " \
                         "prediction itself",                                                                      \
                         "put it before the last Dense: sn::Dropout<0.9>, sn::Dense<K>, <output activation>")

// E8: the last Dense must have as many units as the task has outputs.
constexpr std::size_t rule_e8_output_width(specs_view l, task_spec t) {
    const std::size_t d = last_dense(l);
    return (d != npos && t.outputs > 0 && l[d].out != t.outputs) ? d : npos;
}
#define SANENET_E8_MESSAGE                                                                                              \
    SANENET_LINT_MESSAGE("E8", "output-width",                                                                          \
                         "the last Dense must have as many units as the task has outputs (K for Classification<K> and " \
                         "MultiLabel<K>, 1 for Binary)",                                                                \
                         "make the last layer sn::Dense<K> with the task's K")

// E9: two activations in a row (regularizers in between do not count).
constexpr std::size_t rule_e9_two_activations(specs_view l) {
    return find_first(l, [](specs_view s, std::size_t i) {
        const std::size_t n = next_non_regularizer(s, i);
        return s[i].k == kind::activation && n != npos && s[n].k == kind::activation;
    });
}
#define SANENET_E9_MESSAGE                                                                                          \
    SANENET_LINT_MESSAGE("E9", "two-activations",                                                                   \
                         "two activations in a row (the note names the first): the second only distorts the first", \
                         "remove one, or put a sn::Dense between them")

// E12 (in sn::Allow, lints/lint.hpp): a waiver that names no lint tag.

}  // namespace sanenet::detail
