// Early stopping: Keras's rules on sequences worked out by hand; a network that memorizes a
// tiny noisy set stopped, with the weights of its best epoch restored (its validation loss,
// computed here from predict(), equals the best epoch's); L4.3's note when early stopping ended
// the run; L6.1 unchanged; History::best_epoch without early stopping; the options refused.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sn = sanenet;
using namespace sanenet_test;

namespace {

// 10-128-128-4 without dropout: it memorizes 48 samples with noisy labels (L4.3's case).
using Plain = sn::Network<sn::Classification<4>, NoDropout, sn::Input<10>, sn::Dense<128, sn::He>, sn::ReLU,
                          sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>;

struct task {
    blobs_data train, val;
};
task noisy_task() {
    task t{blobs(48, 8), blobs(400, 9)};
    sn::kernels::rng r(3);
    for (std::size_t i = 0; i < 48; i += 3) t.train.y(i) = static_cast<std::int32_t>(r.below(4));
    return t;
}

sn::FitOptions options(const task& t, int epochs, std::optional<sn::EarlyStopping> e) {
    sn::FitOptions o = quiet(epochs, 8);
    o.validation = sn::Validation{t.val.x, t.val.y};
    o.early_stopping = e;
    return o;
}

// Mean -log p(label) over the rows, from the probabilities predict() returns: the validation
// loss computed apart from fit's evaluator (which works from the logits).
double loss_by_hand(const Plain& net, const blobs_data& d) {
    const sn::matrix p = net.predict(d.x);
    double sum = 0.0;
    for (std::size_t i = 0; i < d.y.size(); ++i) sum -= std::log(static_cast<double>(p(i, static_cast<std::size_t>(d.y(i)))));
    return sum / static_cast<double>(d.y.size());
}

// The first epoch (1-based) with the lowest validation loss.
int lowest_epoch(const sn::History& h) {
    int best = 0;
    for (const auto& e : h.epochs)
        if (!best || *e.val_loss < *h.epochs[static_cast<std::size_t>(best - 1)].val_loss) best = e.epoch;
    return best;
}

std::string severity(const sn::History& h, const std::string& id) {
    for (const auto& d : h.diagnostics)
        if (d.id == id)
            return d.severity == sn::Severity::error ? "error" : d.severity == sn::Severity::warning ? "warning" : "info";
    return "absent";
}

std::string message(const sn::History& h, const std::string& id) {
    for (const auto& d : h.diagnostics)
        if (d.id == id) return d.message;
    return {};
}

}  // namespace

TEST_CASE("EarlyStopping's rules, as Keras's on the validation loss, on sequences worked out by hand") {
    const auto replay = [](const sn::EarlyStopping& e, const std::vector<double>& losses, int& stopped_at) {
        sn::detail::early_stopper s(e);
        stopped_at = 0;
        for (std::size_t i = 0; i < losses.size() && !stopped_at; ++i) {
            bool improved = false;
            if (s.end_epoch(static_cast<int>(i) + 1, losses[i], improved)) stopped_at = static_cast<int>(i) + 1;
        }
        return s.save().best_epoch;
    };
    int stopped = 0;
    SUBCASE("min_delta: 0.89 is not 0.02 below 0.9, so epoch 4 is the second without improvement") {
        CHECK(replay({.patience = 2, .min_delta = 0.02}, {1.0, 0.9, 0.95, 0.89, 0.5}, stopped) == 2);
        CHECK(stopped == 4);
    }
    SUBCASE("min_delta 0: patience 3 stops after three epochs without an improvement") {
        CHECK(replay({.patience = 3}, {1.0, 0.9, 0.95, 0.85, 0.86, 0.87, 0.88, 0.1}, stopped) == 4);
        CHECK(stopped == 7);
    }
    SUBCASE("an equal loss is no improvement") {
        CHECK(replay({.patience = 2}, {1.0, 0.9, 0.9, 0.95, 0.96, 0.1}, stopped) == 2);
        CHECK(stopped == 4);
    }
    SUBCASE("patience 1 stops at the first epoch that does not improve") {
        CHECK(replay({.patience = 1}, {1.0, 0.8, 0.6, 0.7, 0.1}, stopped) == 3);
        CHECK(stopped == 4);
    }
    SUBCASE("a NaN loss is never an improvement") {
        CHECK(replay({.patience = 2}, {1.0, std::numeric_limits<double>::quiet_NaN(), 0.5, 0.6, 0.7}, stopped) == 3);
        CHECK(stopped == 5);
    }
    SUBCASE("without EarlyStopping: the lowest loss is tracked, training never stops") {
        sn::detail::early_stopper s(std::nullopt);
        bool improved = false, stop = false;
        for (int e = 1; e <= 6; ++e) stop = stop || s.end_epoch(e, e == 2 ? 0.1 : 1.0 + e, improved);
        CHECK_FALSE(stop);
        CHECK(s.save().best_epoch == 2);
        CHECK_FALSE(s.active());
    }
}

TEST_CASE("early stopping ends an overfitting run and restores the best epoch: the net's validation loss is that epoch's") {
    const task t = noisy_task();
    Plain net;
    sn::History h;
    const std::string err = stderr_of([&] {
        sn::FitOptions o = options(t, 60, sn::EarlyStopping{.patience = 15});
        o.progress = true;  // the warning and note lines are printed with or without a terminal
        h = sn::fit(net, t.train.x, t.train.y, o);
    });
    REQUIRE(h.stop == sn::StopReason::early_stopped);
    const int best = lowest_epoch(h);
    CHECK(h.best_epoch == best);
    CHECK(h.epochs.size() == static_cast<std::size_t>(best + 15));  // 15 epochs without improvement, then stop
    CHECK(h.epochs.size() < 60);
    const double best_val = *h.epochs[static_cast<std::size_t>(best - 1)].val_loss;
    const double last_val = *h.epochs.back().val_loss;
    const double returned = loss_by_hand(net, t.val);
    CHECK(returned == doctest::Approx(best_val).epsilon(1e-5).scale(0));
    CHECK(std::fabs(returned - last_val) > 1e-3);  // the last epoch's weights would show
    CHECK(sn::evaluate(net, t.val.x, t.val.y, 1).loss == best_val);  // bit for bit, as fit measured it
    INFO(h.stop_message);
    CHECK(contains(h.stop_message, "early stopping: the validation loss has not improved on "));
    CHECK(contains(h.stop_message, "for 15 epochs; training stopped after epoch " + std::to_string(h.epochs.size()) +
                                       " and the weights of epoch " + std::to_string(best) + " were restored"));
    CHECK(contains(err, "sanenet note: " + h.stop_message + "\n"));

    // L4.3 says that the overfitting was caught, as a note, not a warning.
    CHECK(severity(h, "L4.3") == "info");
    const std::string m = message(h, "L4.3");
    CHECK(contains(m, "sanenet L4.3 overfitting: the validation loss rose to "));
    CHECK(contains(m, "early stopping ended the run at epoch " + std::to_string(h.epochs.size()) +
                          " and restored the weights of epoch " + std::to_string(best)));
    CHECK(contains(m, "Fix: nothing is needed for this run"));
    CHECK(contains(err, "sanenet note " + m.substr(8) + "\n"));
    CHECK_FALSE(contains(err, "sanenet warning L4.3"));

    Plain waived;
    sn::FitOptions o = options(t, 60, sn::EarlyStopping{.patience = 15});
    o.allow = sn::allow<sn::lint::Overfitting>();
    const sn::History quiet_h = sn::fit(waived, t.train.x, t.train.y, o);
    CHECK(quiet_h.stop == sn::StopReason::early_stopped);
    CHECK_FALSE(quiet_h.fired("L4.3"));
}

TEST_CASE("L4.3's finding during the epochs is held back under early stopping, then noted when the best epoch is restored") {
    // With patience 30 the run goes on long enough for L4.3's rule to hold for 5 epochs in a
    // row (epochs 19 to 23 here): without early stopping that is a warning at once.
    const task t = noisy_task();
    Plain plain;
    const sn::History warned = sn::fit(plain, t.train.x, t.train.y, options(t, 40, std::nullopt));
    REQUIRE(severity(warned, "L4.3") == "warning");
    const auto l43 =
        std::find_if(warned.diagnostics.begin(), warned.diagnostics.end(), [](const auto& d) { return d.id == "L4.3"; });
    const int fired_at = std::stoi(l43->evidence.substr(6));  // "epoch N"
    Plain net;
    sn::History h;
    const std::string err = stderr_of([&] {
        sn::FitOptions o = options(t, 60, sn::EarlyStopping{.patience = 30});
        o.progress = true;
        h = sn::fit(net, t.train.x, t.train.y, o);
    });
    REQUIRE(h.stop == sn::StopReason::early_stopped);
    REQUIRE(fired_at < static_cast<int>(h.epochs.size()));  // the rule held long before the stop
    CHECK(severity(h, "L4.3") == "info");
    CHECK(contains(message(h, "L4.3"), "early stopping ended the run at epoch " + std::to_string(h.epochs.size()) +
                                           " and restored the weights of epoch " + std::to_string(h.best_epoch)));
    CHECK_FALSE(contains(err, "sanenet warning L4.3"));
    CHECK(contains(err, "sanenet note L4.3 overfitting: "));
    // The evidence says when the rule held.
    for (const auto& d : h.diagnostics)
        if (d.id == "L4.3")
            CHECK(d.evidence == "epoch " + std::to_string(h.epochs.size()) + ", best epoch " + std::to_string(h.best_epoch) +
                                    ", the rule held at epoch " + std::to_string(fired_at));
}

TEST_CASE("early stopping that ends a run whose validation loss merely levels off adds no L4.3") {
    const task t = noisy_task();
    Plain net;
    const sn::History h = sn::fit(net, t.train.x, t.train.y, options(t, 60, sn::EarlyStopping{.patience = 4}));
    REQUIRE(h.stop == sn::StopReason::early_stopped);
    CHECK(h.epochs.size() == static_cast<std::size_t>(h.best_epoch + 4));
    // At the stop the validation loss is within 5% of its best: no memorizing to report.
    CHECK(*h.epochs.back().val_loss < 1.05 * *h.epochs[static_cast<std::size_t>(h.best_epoch - 1)].val_loss);
    CHECK_FALSE(h.fired("L4.3"));
}

TEST_CASE("restore_best = false keeps the last epoch's weights, and L4.3 stays a warning that says so") {
    const task t = noisy_task();
    Plain net;
    const sn::History h =
        sn::fit(net, t.train.x, t.train.y, options(t, 60, sn::EarlyStopping{.patience = 15, .restore_best = false}));
    REQUIRE(h.stop == sn::StopReason::early_stopped);
    CHECK(h.best_epoch == lowest_epoch(h));
    CHECK(loss_by_hand(net, t.val) == doctest::Approx(*h.epochs.back().val_loss).epsilon(1e-5).scale(0));
    CHECK_FALSE(contains(h.stop_message, "restored"));
    CHECK(severity(h, "L4.3") == "warning");
    CHECK(contains(message(h, "L4.3"),
                   "kept the weights of epoch " + std::to_string(h.epochs.size()) + " (EarlyStopping::restore_best is false)"));
}

TEST_CASE("when the epochs run out first, restore_best still ends with the best epoch's weights") {
    const task t = noisy_task();
    Plain net;
    const sn::History h = sn::fit(net, t.train.x, t.train.y, options(t, 14, sn::EarlyStopping{.patience = 50}));
    REQUIRE(h.stop == sn::StopReason::completed);
    REQUIRE(h.epochs.size() == 14);
    const int best = lowest_epoch(h);
    REQUIRE(best < 14);  // the network overfits within 14 epochs
    CHECK(h.best_epoch == best);
    CHECK(loss_by_hand(net, t.val) ==
          doctest::Approx(*h.epochs[static_cast<std::size_t>(best - 1)].val_loss).epsilon(1e-5).scale(0));
    CHECK(h.stop_message.empty());
}

TEST_CASE("without early stopping: History::best_epoch is the lowest validation loss, and the weights are the last epoch's") {
    const task t = noisy_task();
    Plain net;
    const sn::History h = sn::fit(net, t.train.x, t.train.y, options(t, 14, std::nullopt));
    CHECK(h.stop == sn::StopReason::completed);
    CHECK(h.best_epoch == lowest_epoch(h));
    CHECK(h.best_epoch < 14);
    CHECK(loss_by_hand(net, t.val) == doctest::Approx(*h.epochs.back().val_loss).epsilon(1e-5).scale(0));
    Plain alone;
    sn::FitOptions o = quiet(3, 8);
    o.allow = sn::allow<sn::lint::NoValidation>();
    CHECK(sn::fit(alone, t.train.x, t.train.y, o).best_epoch == 0);  // no validation data, no best epoch
}

TEST_CASE("L6.1 keeps its meaning under early stopping: divergence restores the epoch's start and throws") {
    // The divergence comes after the best epoch, so that the best epoch's weights (which early
    // stopping keeps) and the start of the epoch that diverged (which L6.1 restores) differ.
    task t = noisy_task();
    Plain net;
    sn::FitOptions o = options(t, 20, sn::EarlyStopping{.patience = 10});
    o.shuffle = false;
    std::vector<std::vector<float>> after;
    o.on_epoch = [&](const sn::EpochRecord& e) {
        after.push_back(params_of(net));
        if (e.epoch == 9) t.train.x(40, 2) = std::numeric_limits<float>::infinity();  // epoch 10 meets it
    };
    try {
        sn::fit(net, t.train.x, t.train.y, o);
        FAIL("expected divergence_error");
    } catch (const sn::divergence_error& e) {
        CHECK(e.id() == "L6.1");
        CHECK(e.history().stop == sn::StopReason::diverged);
        CHECK(e.history().epochs.size() == 9);
        CHECK(e.history().best_epoch == lowest_epoch(e.history()));
        REQUIRE(e.history().best_epoch < 9);
        CHECK(contains(e.what(), "restored to its weights at the start of epoch 10"));
    }
    REQUIRE(after.size() == 9);
    CHECK(params_of(net) == after[8]);  // the start of epoch 10, not the best epoch's
}

TEST_CASE("early-stopping options that cannot apply are argument_errors naming the option, before any step") {
    const task t = noisy_task();
    const auto refused = [&](sn::FitOptions o) {
        Plain net;
        const std::vector<float> before = params_of(net);
        int epochs = 0;
        o.on_epoch = [&](const sn::EpochRecord&) { ++epochs; };
        const std::string what = message_of<sn::argument_error>([&] { sn::fit(net, t.train.x, t.train.y, o); });
        CHECK(epochs == 0);
        CHECK(params_of(net) == before);
        CHECK_THROWS_AS(sn::fit(net, t.train.x, t.train.y, o), std::invalid_argument);
        return what;
    };
    sn::FitOptions no_val = quiet(5, 8);
    no_val.early_stopping = sn::EarlyStopping{};
    CHECK(contains(refused(no_val),
                   "FitOptions::early_stopping watches the validation loss, and FitOptions::validation is not set"));
    CHECK(contains(refused(options(t, 5, sn::EarlyStopping{.patience = 0})),
                   "FitOptions::early_stopping: EarlyStopping::patience is 0, expected >= 1"));
    CHECK(contains(refused(options(t, 5, sn::EarlyStopping{.min_delta = -0.1})),
                   "EarlyStopping::min_delta is -0.1, expected a finite value >= 0"));
    CHECK(contains(refused(options(t, 5, sn::EarlyStopping{.min_delta = std::numeric_limits<double>::infinity()})),
                   "EarlyStopping::min_delta is inf"));
}
