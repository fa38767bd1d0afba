// The learning-rate schedules' training cases, shared by tests/unit/test_schedules.cpp (against
// the double-precision reference trainer, stepped at rates that test computes itself) and
// bench/parity.cpp (`make parity`, against torch.optim.lr_scheduler): an oracle network, task,
// optimizer and batching (oracle_cases.hpp) trained for several epochs under a schedule,
// without shuffling, with held-out data for ReduceLROnPlateau.
#pragma once

#include "oracle_cases.hpp"

#include <string>
#include <vector>

namespace oracle {

struct schedule_case {
    oracle_case base;  // base.epochs is the fit's
    sn::Schedule schedule;
    bool validation = false;  // ReduceLROnPlateau watches the validation loss
};

inline oracle_case scheduled(std::string name, std::vector<layer_spec> specs, task_spec task, sn::Optimizer optimizer,
                             std::size_t batch, std::size_t samples, int epochs) {
    return {std::move(name), std::move(specs), task, optimizer, batch, samples, epochs};
}

inline std::vector<schedule_case> schedule_cases() {
    return {
        {scheduled("StepLR(2, 0.5), regression, SGD momentum, batch 4 (last 3), 7 epochs", regression_net(), regression,
                   sgd(0.9f), 4, 15, 7),
         sn::StepLR{.step_epochs = 2, .gamma = 0.5f}},
        {scheduled("ExponentialLR(0.7), classification, Adam, batch 8 (last 4), 6 epochs", classifier_net(), classes10, adam(), 8,
                   20, 6),
         sn::ExponentialLR{.gamma = 0.7f}},
        {scheduled("CosineLR(min 0.005), regression, SGD Nesterov, batch 5 (last 4), 8 epochs", regression_net(), regression,
                   sgd(0.9f, true), 5, 14, 8),
         sn::CosineLR{.min_lr = 0.005f}},
        {scheduled("CosineLR(warm-up 2), GELU/SiLU regression, AdamW, batch 4 (last 2), 7 epochs", gelu_silu_net(), regression,
                   adamw(), 4, 14, 7),
         sn::CosineLR{.warmup_epochs = 2}},
        {scheduled("CosineLR(restarts 3, min 0.002, warm-up 1), multilabel, SGD momentum, batch 8 (last 5), 9 epochs",
                   multilabel_net(), labels5, sgd(0.9f), 8, 29, 9),
         sn::CosineLR{.min_lr = 0.002f, .warmup_epochs = 1, .restart_epochs = 3}},
        {scheduled("OneCycleLR(0.1, 0.3), regression, SGD momentum, batch 3 (last 2), 5 epochs", regression_net(), regression,
                   sgd(0.9f), 3, 11, 5),
         sn::OneCycleLR{.max_lr = 0.1f, .pct_start = 0.3f}},
        {scheduled("OneCycleLR(0.02, 0.25), classification, Adam, batch 5 (last 1), 4 epochs", classifier_net(), classes10,
                   adam(), 5, 16, 4),
         sn::OneCycleLR{.max_lr = 0.02f, .pct_start = 0.25f}},
        {scheduled("ReduceLROnPlateau(0.5, 1, min 0.01), regression, SGD momentum, batch 4, 12 epochs", regression_net(),
                   regression, sgd(0.9f), 4, 16, 12),
         sn::ReduceLROnPlateau{.factor = 0.5f, .patience = 1, .min_lr = 0.01f}, true},
        {scheduled("ReduceLROnPlateau(0.2, 0), classification, Adam, batch 16 (last 13), 8 epochs", classifier_net(), classes10,
                   adam(), 16, 29, 8),
         sn::ReduceLROnPlateau{.factor = 0.2f, .patience = 0}, true},
    };
}

// Held-out data of the case's shape: make_data's kind of values from another stream.
inline data make_validation(const oracle_case& c) {
    return make_data_from(c, 5000 + c.samples * 11 + static_cast<std::size_t>(c.specs.back().out), 3, 1);
}

inline sn::FitOptions fit_options(const schedule_case& s, const data& validation) {
    sn::FitOptions o = fit_options(s.base);
    o.schedule = s.schedule;
    if (s.validation) {
        if (validation.labels.size())
            o.validation = sn::Validation{validation.x, validation.labels};
        else
            o.validation = sn::Validation{validation.x, validation.values};
    }
    return o;
}

}  // namespace oracle
