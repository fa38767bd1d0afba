// The article's mistakes visible in a network's type (items 4, 7, 8, 9, 10, 11) and X1: each
// lint is its tag (lints/lint.hpp), a predicate named after the mistake, and one message.
// Errors are static_asserts in Network; warnings are its deprecated constructors.
#pragma once

#include <sanenet/core/spec.hpp>
#include <sanenet/lints/lint.hpp>
#include <sanenet/lints/structure.hpp>
#include <sanenet/lints/thresholds.hpp>

namespace sanenet::inline SANENET_ABI::detail {

// X1: Dense directly followed by Dense: two linear maps collapse into one.
constexpr std::size_t rule_x1_missing_nonlinearity(specs_view l) {
    return find_first(l, [](specs_view s, std::size_t i) {
        const std::size_t n = next_non_regularizer(s, i);
        return s[i].k == kind::dense && n != npos && s[n].k == kind::dense;
    });
}
#define SANENET_X1_MESSAGE                                                                                            \
    SANENET_LINT_MESSAGE("X1", "missing-nonlinearity",                                                                \
                         "a Dense is directly followed by another Dense (the note names the first): two linear maps " \
                         "collapse into one, so the extra layer adds parameters but no capacity",                     \
                         "put an activation between them, e.g. sn::Dense<256>, sn::ELU, sn::Dense<128>", MissingNonlinearity)

// L7.2: Classification must end in Softmax, MultiLabel/Binary in Sigmoid (the loss is fused with it).
constexpr std::size_t rule_l72_output_matches_task(specs_view l, task_spec t) {
    const std::size_t o = output_activation(l);
    if (o == npos || t.k == task_kind::regression) return npos;
    const act want = t.k == task_kind::classification ? act::softmax : act::sigmoid;
    return l[o].a == want ? npos : o;
}
#define SANENET_L7_2_MESSAGE                                                                                               \
    SANENET_LINT_MESSAGE("L7.2", "output-matches-task",                                                                    \
                         "Classification must end in Softmax and MultiLabel/Binary in Sigmoid: the loss is computed from " \
                         "the logits together with that activation, any other output makes it wrong",                      \
                         "end with sn::Dense<K>, sn::Softmax for Classification<K> or sn::Dense<K>, sn::Sigmoid for "      \
                         "MultiLabel<K>/Binary; for real-valued targets use sn::Regression")

// L7.1: Regression must end in Identity: a bounded output cannot reach standardized targets.
constexpr std::size_t rule_l71_bounded_regression_output(specs_view l, task_spec t) {
    const std::size_t o = output_activation(l);
    return (o != npos && t.k == task_kind::regression && l[o].a != act::identity) ? o : npos;
}
#define SANENET_L7_1_MESSAGE                                                                                                \
    SANENET_LINT_MESSAGE("L7.1", "bounded-regression-output",                                                               \
                         "a Regression network ends in a bounded or one-sided activation (article item 7): standardized "   \
                         "targets lie on both sides of zero, outputs that cannot reach them stay stuck and their gradient " \
                         "dies",                                                                                            \
                         "end with sn::Dense<outputs>, sn::Identity", BoundedRegressionOutput)

// L4.2: Dropout<Keep> with a small Keep: probably a drop rate (Keras, PyTorch) typed as keep.
constexpr std::size_t rule_l42_keep_reads_as_drop_rate(specs_view l) {
    return find_first(l, [](specs_view s, std::size_t i) {
        return s[i].k == kind::dropout && s[i].param > 0.f && s[i].param < static_cast<float>(thresholds::min_dropout_keep);
    });
}
#define SANENET_L4_2_MESSAGE \
    SANENET_LINT_MESSAGE("L4.2", "keep-reads-as-drop-rate",                                                                 \
                         "sn::Dropout<Keep> takes the probability of KEEPING a unit (article item 4: 0.75-0.9); a Keep "    \
                         "below " SANENET_STRINGIZE_VALUE(SANENET_LINT_MIN_DROPOUT_KEEP) " (the note names the layer) "    \
                         "reads like a drop rate as Keras and PyTorch take it, and "                                        \
                         "would drop most of the units",                                                                    \
                         "write the keep probability: sn::Dropout<0.9> instead of sn::Dropout<0.1>",                        \
                         KeepReadsAsDropRate)

// L9.1: Zeros or Constant<V> weights: every unit of the layer computes the same thing and
// receives the same gradient, so they never become different.
constexpr std::size_t rule_l91_constant_init(specs_view l) {
    return find_first(l, [](specs_view s, std::size_t i) {
        return s[i].k == kind::dense && (s[i].i == init::zeros || s[i].i == init::constant);
    });
}
#define SANENET_L9_1_MESSAGE                                                                                               \
    SANENET_LINT_MESSAGE("L9.1", "constant-init",                                                                          \
                         "a Dense layer starts with constant weights (the note names it): all its units compute the same " \
                         "output and get the same gradient, so they stay identical (article item 9)",                      \
                         "use sn::He for ReLU-family layers, sn::LeCun (the default) or sn::Xavier, e.g. "                 \
                         "sn::Dense<256, sn::He>; biases already start at zero",                                           \
                         ConstantInit)

// L4.1: no Dropout or GaussianNoise that does anything (Dropout<1.0> and GaussianNoise<0> do not).
constexpr bool rule_l41_no_regularization(specs_view l) {
    for (const auto& s : l)
        if ((s.k == kind::dropout && s.param < 1.f) || (s.k == kind::gaussian_noise && s.param > 0.f)) return false;
    return true;
}
#define SANENET_L4_1_MESSAGE                                                                                             \
    SANENET_LINT_MESSAGE("L4.1", "no-regularization",                                                                    \
                         "the network has no Dropout or GaussianNoise (or only Dropout<1> / GaussianNoise<0>): without " \
                         "regularization it will fit noise and "                                                         \
                         "overfit (article item 4)",                                                                     \
                         "put sn::Dropout<0.9> (keep probability) before each hidden sn::Dense", NoRegularization)

// L8.3: a Sigmoid anywhere but as the output activation (E6 has passed: the output activation is the last item).
constexpr std::size_t rule_l83_hidden_sigmoid(specs_view l) {
    const std::size_t o = output_activation(l);
    return find_first(
        l, [o](specs_view s, std::size_t i) { return s[i].k == kind::activation && s[i].a == act::sigmoid && i != o; });
}
#define SANENET_L8_3_MESSAGE                                                                                                \
    SANENET_LINT_MESSAGE("L8.3", "hidden-sigmoid",                                                                          \
                         "a hidden activation is sn::Sigmoid: its units saturate at 0 and 1, where they pass back almost "  \
                         "no gradient (a quarter of it at best), and its outputs are never centred on zero, so the layers " \
                         "before it learn slowly (article item 8)",                                                         \
                         "use sn::Tanh for a bounded hidden feature, or sn::ReLU, sn::LeakyReLU, sn::ELU, sn::GELU or "     \
                         "sn::SiLU; where a gate in [0, 1] is the point, keep sn::Sigmoid and waive this",                  \
                         HiddenSigmoid)

constexpr int dense_count(specs_view l) {
    int n = 0;
    for (const auto& s : l) n += s.k == kind::dense;
    return n;
}

// L10.1: more Dense layers than the article's starting range.
constexpr bool rule_l101_too_deep(specs_view l) { return dense_count(l) > thresholds::max_dense_layers; }
#define SANENET_L10_1_MESSAGE \
    SANENET_LINT_MESSAGE("L10.1", "too-deep",                                                                               \
                         "the network has more than " SANENET_STRINGIZE_VALUE(SANENET_LINT_MAX_DENSE_LAYERS)               \
                         " Dense layers: deep plain MLPs train slowly and their gradients "                                 \
                         "vanish or explode (article item 10: start with 3-8 layers)",                                      \
                         "start with 3-8 Dense layers and add depth only when it measurably helps",                         \
                         TooDeep)

// The narrowest width a hidden layer should have for this task (article item 11).
constexpr int min_hidden_width(specs_view l, task_spec t) {
    if (t.k != task_kind::regression) return thresholds::hidden_per_class * t.outputs;
    const std::size_t d = last_dense(l);
    const int in = l.empty() ? 0 : l.front().out, out = d == npos ? 0 : l[d].out;
    return thresholds::hidden_per_regression_io * (in > out ? in : out);
}

// L11.1: a hidden Dense narrower than min_hidden_width.
constexpr std::size_t rule_l111_too_few_hidden_units(specs_view l, task_spec t) {
    const std::size_t d = last_dense(l);
    const int need = min_hidden_width(l, t);
    return find_first(l, [d, need](specs_view s, std::size_t i) { return s[i].k == kind::dense && i != d && s[i].out < need; });
}
#define SANENET_L11_1_MESSAGE \
    SANENET_LINT_MESSAGE("L11.1", "too-few-hidden-units",                                                                   \
                         "a hidden Dense is narrower than " SANENET_STRINGIZE_VALUE(SANENET_LINT_HIDDEN_PER_CLASS)           \
                         "x the classes (Classification, MultiLabel) or "                                                   \
                         SANENET_STRINGIZE_VALUE(SANENET_LINT_HIDDEN_PER_REGRESSION_IO)                                     \
                         "x max(inputs, outputs) (Regression): too few units to represent the task (article item 11: "      \
                         "256-1024 to start)",                                                                              \
                         "widen the hidden layers, e.g. sn::Dense<256>", TooFewHiddenUnits)

}  // namespace sanenet::detail
