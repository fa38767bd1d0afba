// Training control, the user's side: the types FitOptions takes for early stopping, the
// learning-rate schedule and checkpoints. Their semantics are PyTorch's (Keras's for early
// stopping), so that anyone can check them against it: docs/training.md has each one, and
// `make parity` replays every schedule in torch.optim.lr_scheduler.
#pragma once

#include <sanenet/core/config.hpp>

#include <filesystem>
#include <variant>

namespace sanenet::inline SANENET_ABI {

// Stops training when the validation loss has not improved on its best by more than min_delta
// for `patience` epochs in a row (keras.callbacks.EarlyStopping(monitor="val_loss")).
// restore_best: the network ends with the weights of the best epoch (History::best_epoch),
// whether early stopping ended the run or the epochs ran out. Needs FitOptions::validation.
struct EarlyStopping {
    int patience = 5;
    double min_delta = 0.0;
    bool restore_best = true;
};

// The optimizer's learning rate all along (the default).
struct ConstantLR {};

// The rate times gamma every step_epochs epochs (torch.optim.lr_scheduler.StepLR, per epoch).
struct StepLR {
    int step_epochs = 10;
    float gamma = 0.1f;
};

// The rate times gamma every epoch (ExponentialLR, per epoch).
struct ExponentialLR {
    float gamma = 0.95f;
};

// Cosine annealing from the optimizer's rate to min_lr, per epoch: over the whole fit
// (CosineAnnealingLR with T_max = epochs - warmup_epochs), or restarting every restart_epochs
// epochs (CosineAnnealingWarmRestarts with T_0 = restart_epochs). warmup_epochs first raise the
// rate linearly from 0 to the optimizer's rate, step by step: base * (s + 1) / S at step s of
// S = warmup_epochs x the steps per epoch (LinearLR(start_factor = 1/S, total_iters = S - 1)).
struct CosineLR {
    float min_lr = 0.f;
    int warmup_epochs = 0;
    int restart_epochs = 0;  // 0: no restarts
};

// One cycle over the whole fit, per batch (OneCycleLR, cosine annealing, div_factor 25,
// final_div_factor 1e4, cycle_momentum=False): from max_lr / 25 up to max_lr over the first
// pct_start of the steps, then down to max_lr / 25 / 1e4. The optimizer's own rate is not used.
// The fastai recipe: sn::OneCycleLR{.max_lr = finding.suggested} from sn::find_learning_rate
// (docs/training.md).
struct OneCycleLR {
    float max_lr = 1e-2f;
    float pct_start = 0.3f;
};

// The rate times factor (not below min_lr) when the validation loss has not improved by a
// relative 1e-4 for more than `patience` epochs (ReduceLROnPlateau(mode="min"), stepped after
// each epoch). Needs FitOptions::validation.
struct ReduceLROnPlateau {
    float factor = 0.1f;
    int patience = 2;
    float min_lr = 0.f;
};

using Schedule = std::variant<ConstantLR, StepLR, ExponentialLR, CosineLR, OneCycleLR, ReduceLROnPlateau>;

// Where and how often sn::fit saves everything it needs to continue (sn::resume): the weights,
// the optimizer's state, the schedule, the shuffling and dropout streams, the History and the
// early-stopping state, written atomically after every every_epochs-th epoch and when the fit ends.
struct Checkpoint {
    std::filesystem::path path;
    int every_epochs = 1;
};

}  // namespace sanenet
