// The compile-time rules run on an architecture known only at run time (sn::load_any): the same
// rule functions (lints/structure.hpp, lints/compile_time.hpp), in the same order, with the same
// messages as Network's static_asserts (network/network.hpp), each finding a Diagnostic that
// names the layer. As in Network, the first error ends the check, and the warnings run only on
// an architecture without errors.
#pragma once

#include <sanenet/core/spec.hpp>
#include <sanenet/layers/layers.hpp>
#include <sanenet/lints/compile_time.hpp>
#include <sanenet/lints/lint.hpp>
#include <sanenet/lints/structure.hpp>

#include <span>
#include <vector>

namespace sanenet::inline SANENET_ABI::detail {

// The findings of the compile-time rules on specs: the first broken error rule's alone, or the
// warnings of an architecture without errors. Waived lints are left out. regularizers_known: false when the description has no Dropout, GaussianNoise or
// initializers to look at (a version-1 model file), which silences L4.1 (no regularization).
SANENET_INLINE std::vector<Diagnostic> architecture_findings(std::span<const layer_spec> specs, task_spec task, Waivers waivers,
                                                             bool regularizers_known = true);

}  // namespace sanenet::detail

#if SANENET_DEFINITIONS
#include <string>
#include <string_view>

namespace sanenet::inline SANENET_ABI::detail {

namespace arch_rules {

// A rule: where it fires (an index, whole for a rule about the whole network, or npos), its ID,
// the waiver bit of its tag (0: none), its severity and its message.
inline constexpr std::size_t whole = npos - 1;
struct rule {
    const char* id;
    std::uint32_t bit;
    Severity severity;
    std::size_t (*find)(specs_view, task_spec);
    const char* message;
};

template <class Tag>
constexpr std::uint32_t bit_of = Tag::bit;

// Network's order (network/network.hpp): E13, then the SANENET_RULE chain, then the warnings.
inline constexpr rule rules[] = {
    {"E13", 0, Severity::error, [](specs_view, task_spec t) { return task_outputs_valid(t) ? npos : whole; },
     SANENET_E13_MESSAGE},
    {"E1", 0, Severity::error, [](specs_view l, task_spec) { return rule_e1_input_first(l); }, SANENET_E1_MESSAGE},
    {"E2", 0, Severity::error, [](specs_view l, task_spec) { return rule_e2_dense_units(l); }, SANENET_E2_MESSAGE},
    {"E3", 0, Severity::error, [](specs_view l, task_spec) { return rule_e3_dropout_keep(l); }, SANENET_E3_MESSAGE},
    {"E11", 0, Severity::error, [](specs_view l, task_spec) { return rule_e11_noise_stddev(l); }, SANENET_E11_MESSAGE},
    {"E9", 0, Severity::error, [](specs_view l, task_spec) { return rule_e9_two_activations(l); }, SANENET_E9_MESSAGE},
    {"X1", bit_of<lint::MissingNonlinearity>, Severity::error,
     [](specs_view l, task_spec) { return rule_x1_missing_nonlinearity(l); }, SANENET_X1_MESSAGE},
    {"E6", 0, Severity::error, [](specs_view l, task_spec) { return rule_e6_output_only(l); }, SANENET_E6_MESSAGE},
    {"E14", 0, Severity::error, [](specs_view l, task_spec) { return rule_e14_norm_before_output(l); }, SANENET_E14_MESSAGE},
    {"E4", 0, Severity::error, [](specs_view l, task_spec) { return rule_e4_output_activation(l); }, SANENET_E4_MESSAGE},
    {"E5", 0, Severity::error, [](specs_view l, task_spec) { return rule_e5_nothing_after_output(l); }, SANENET_E5_MESSAGE},
    {"E7", 0, Severity::error, [](specs_view l, task_spec) { return rule_e7_regularizer_before_output(l); }, SANENET_E7_MESSAGE},
    {"E8", 0, Severity::error, [](specs_view l, task_spec t) { return rule_e8_output_width(l, t); }, SANENET_E8_MESSAGE},
    {"L7.2", 0, Severity::error, [](specs_view l, task_spec t) { return rule_l72_output_matches_task(l, t); },
     SANENET_L7_2_MESSAGE},
    {"L7.1", bit_of<lint::BoundedRegressionOutput>, Severity::error,
     [](specs_view l, task_spec t) { return rule_l71_bounded_regression_output(l, t); }, SANENET_L7_1_MESSAGE},
    {"L4.2", bit_of<lint::KeepReadsAsDropRate>, Severity::error,
     [](specs_view l, task_spec) { return rule_l42_keep_reads_as_drop_rate(l); }, SANENET_L4_2_MESSAGE},
    {"L9.1", bit_of<lint::ConstantInit>, Severity::error, [](specs_view l, task_spec) { return rule_l91_constant_init(l); },
     SANENET_L9_1_MESSAGE},
    {"L4.1", bit_of<lint::NoRegularization>, Severity::warning,
     [](specs_view l, task_spec) { return rule_l41_no_regularization(l) ? whole : npos; }, SANENET_L4_1_MESSAGE},
    {"L10.1", bit_of<lint::TooDeep>, Severity::warning,
     [](specs_view l, task_spec) { return rule_l101_too_deep(l) ? whole : npos; }, SANENET_L10_1_MESSAGE},
    {"L11.1", bit_of<lint::TooFewHiddenUnits>, Severity::warning,
     [](specs_view l, task_spec t) { return rule_l111_too_few_hidden_units(l, t); }, SANENET_L11_1_MESSAGE},
    {"L8.3", bit_of<lint::HiddenSigmoid>, Severity::warning, [](specs_view l, task_spec) { return rule_l83_hidden_sigmoid(l); },
     SANENET_L8_3_MESSAGE},
};

}  // namespace arch_rules

SANENET_INLINE std::vector<Diagnostic> architecture_findings(std::span<const layer_spec> specs, task_spec task, Waivers waivers,
                                                             bool regularizers_known) {
    using namespace arch_rules;
    std::vector<Diagnostic> found;
    for (const rule& r : rules) {
        if (r.bit & waivers.bits) continue;
        if (!regularizers_known && std::string_view(r.id) == "L4.1") continue;
        const std::size_t at = r.find(specs, task);
        if (at == npos) continue;
        const std::string where = at == whole         ? task_name(task) + " network"
                                  : at < specs.size() ? "layer " + std::to_string(at) + ", " + layer_name(specs[at])
                                                      : "layer " + std::to_string(at) + " (missing)";
        found.push_back(Diagnostic{r.id, r.severity, r.message, where});
        if (r.severity == Severity::error) break;
    }
    return found;
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
