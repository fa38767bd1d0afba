// Structural rules E1-E11 and the output rules X1, L7.1, L7.2: predicates over the
// layer specs that return the index of the first offending layer, or npos. Network
// static_asserts each one with its message (lints/messages.hpp).
#pragma once

#include <sanenet/core/spec.hpp>

#include <cstddef>
#include <span>

namespace sanenet::detail {

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

// E1: Input<N> first (N > 0), and nowhere else.
constexpr std::size_t rule_e1_input_first(specs_view l) {
    if (l.empty()) return 0;
    return find_first(l, [](specs_view s, std::size_t i) {
        return (i == 0) != (s[i].k == kind::input) || (i == 0 && s[i].out <= 0);
    });
}

// E2: a Dense layer with no units.
constexpr std::size_t rule_e2_dense_units(specs_view l) {
    return find_first(l, [](specs_view s, std::size_t i) { return s[i].k == kind::dense && s[i].out <= 0; });
}

// E3: Dropout keep probability outside (0, 1].
constexpr std::size_t rule_e3_dropout_keep(specs_view l) {
    return find_first(l, [](specs_view s, std::size_t i) {
        return s[i].k == kind::dropout && !(s[i].param > 0.f && s[i].param <= 1.f);
    });
}

// E11: GaussianNoise with a negative or non-finite stddev.
constexpr std::size_t rule_e11_noise_stddev(specs_view l) {
    return find_first(l, [](specs_view s, std::size_t i) {
        return s[i].k == kind::gaussian_noise && !(s[i].param >= 0.f && s[i].param < 1e30f);
    });
}

// E4: no output activation after the last Dense (or no Dense at all).
constexpr std::size_t rule_e4_output_activation(specs_view l) {
    if (output_activation(l) != npos || l.empty()) return npos;
    const std::size_t d = last_dense(l);
    if (d == npos) return l.size() - 1;
    // A regularizer between the last Dense and an activation is E7's case, not this one.
    const std::size_t n = next_non_regularizer(l, d);
    return (n != npos && l[n].k == kind::activation) ? npos : d;
}

// E5: something after the output activation.
constexpr std::size_t rule_e5_nothing_after_output(specs_view l) {
    const std::size_t o = output_activation(l);
    return (o != npos && o + 1 < l.size()) ? o + 1 : npos;
}

// E6: Softmax, Sigmoid or Identity anywhere but as the output activation.
constexpr std::size_t rule_e6_output_only(specs_view l) {
    const std::size_t o = output_activation(l);
    return find_first(l, [o](specs_view s, std::size_t i) {
        return s[i].k == kind::activation && is_output_only(s[i].a) && i != o && next_non_regularizer(s, i) != npos;
    });
}

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

// E8: the last Dense must have as many units as the task has outputs.
constexpr std::size_t rule_e8_output_width(specs_view l, task_spec t) {
    const std::size_t d = last_dense(l);
    return (d != npos && t.outputs > 0 && l[d].out != t.outputs) ? d : npos;
}

// E9: two activations in a row (regularizers in between do not count).
constexpr std::size_t rule_e9_two_activations(specs_view l) {
    return find_first(l, [](specs_view s, std::size_t i) {
        const std::size_t n = next_non_regularizer(s, i);
        return s[i].k == kind::activation && n != npos && s[n].k == kind::activation;
    });
}

// X1: Dense directly followed by Dense: two linear maps collapse into one.
constexpr std::size_t rule_x1_missing_nonlinearity(specs_view l) {
    return find_first(l, [](specs_view s, std::size_t i) {
        const std::size_t n = next_non_regularizer(s, i);
        return s[i].k == kind::dense && n != npos && s[n].k == kind::dense;
    });
}

// L7.2: Classification must end in Softmax, MultiLabel/Binary in Sigmoid (the loss is fused with it).
constexpr std::size_t rule_l72_output_matches_task(specs_view l, task_spec t) {
    const std::size_t o = output_activation(l);
    if (o == npos || t.k == task_kind::regression) return npos;
    const act want = t.k == task_kind::classification ? act::softmax : act::sigmoid;
    return l[o].a == want ? npos : o;
}

// L7.1: Regression must end in Identity: a bounded output cannot reach standardized targets.
constexpr std::size_t rule_l71_bounded_regression_output(specs_view l, task_spec t) {
    const std::size_t o = output_activation(l);
    return (o != npos && t.k == task_kind::regression && l[o].a != act::identity) ? o : npos;
}

}  // namespace sanenet::detail
