// Checkpoints and sn::resume: a fit interrupted at an epoch boundary, or killed (SIGKILL) in
// the middle of an epoch, and resumed from its last checkpoint ends bit for bit where the
// uninterrupted fit ends (weights, History), with dropout, shuffling, Adam's moments, a
// per-step and a plateau schedule and early stopping in play; a finished fit resumes to its
// result; bad files and other runs are refused with the network untouched; a failed write
// loses nothing.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "test_support.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace sn = sanenet;
namespace fs = std::filesystem;
using namespace sanenet_test;

namespace {

using Net = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU, sn::Dropout<0.8>,
                        sn::Dense<32, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>;
// Wider, for epochs long enough to be killed in (about 0.1 s on one core).
using Wide = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dropout<0.9>, sn::Dense<512, sn::He>, sn::ReLU,
                         sn::Dropout<0.8>, sn::Dense<256, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>;
using Narrower = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dropout<0.9>, sn::Dense<48, sn::He>, sn::ReLU,
                             sn::Dropout<0.8>, sn::Dense<32, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>;

struct task {
    blobs_data train, val;
};
task make_task(std::size_t n = 400) {
    task t{blobs(n, 21), blobs(200, 22)};
    sn::kernels::rng r(5);
    for (std::size_t i = 0; i < n; i += 4) t.train.y(i) = static_cast<std::int32_t>(r.below(4));  // something to overfit
    return t;
}

// Adam under OneCycleLR (a rate per step), dropout, shuffling, early stopping that waits.
sn::FitOptions one_cycle(const task& t, const fs::path& ckpt, int epochs = 8) {
    sn::FitOptions o = quiet(epochs, 16);
    o.optimizer = sn::Adam{.learning_rate = 1e-3f};
    o.validation = sn::Validation{t.val.x, t.val.y};
    o.schedule = sn::OneCycleLR{.max_lr = 0.01f};
    o.early_stopping = sn::EarlyStopping{.patience = 50};
    o.checkpoint = sn::Checkpoint{.path = ckpt};
    return o;
}

// SGD with momentum under ReduceLROnPlateau, early stopping that ends the run.
sn::FitOptions plateau(const task& t, const fs::path& ckpt) {
    sn::FitOptions o = quiet(40, 8);
    o.optimizer = sn::SGD{.learning_rate = 0.05f, .momentum = 0.9f};
    o.validation = sn::Validation{t.val.x, t.val.y};
    o.schedule = sn::ReduceLROnPlateau{.factor = 0.5f, .patience = 1};
    o.early_stopping = sn::EarlyStopping{.patience = 4};
    o.checkpoint = sn::Checkpoint{.path = ckpt};
    return o;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Everything in the History but the timings, field by field.
void check_same_history(const sn::History& a, const sn::History& b) {
    CHECK(a.metric == b.metric);
    REQUIRE(a.epochs.size() == b.epochs.size());
    for (std::size_t i = 0; i < a.epochs.size(); ++i) {
        CAPTURE(i);
        const sn::EpochRecord &x = a.epochs[i], &y = b.epochs[i];
        CHECK(x.epoch == y.epoch);
        CHECK(x.train_loss == y.train_loss);
        CHECK(x.val_loss == y.val_loss);
        CHECK(x.val_metric == y.val_metric);
        CHECK(x.learning_rate == y.learning_rate);
    }
    REQUIRE(a.diagnostics.size() == b.diagnostics.size());
    for (std::size_t i = 0; i < a.diagnostics.size(); ++i) {
        CHECK(a.diagnostics[i].id == b.diagnostics[i].id);
        CHECK(a.diagnostics[i].message == b.diagnostics[i].message);
        CHECK(a.diagnostics[i].evidence == b.diagnostics[i].evidence);
    }
    CHECK(a.stop == b.stop);
    CHECK(a.stop_message == b.stop_message);
    CHECK(a.best_epoch == b.best_epoch);
}

struct interrupted {};

// The fit stopped by an exception from on_epoch after epoch `k` (the checkpoint of epoch k is
// written before on_epoch runs), then resumed from the checkpoint into a network with other
// initial weights.
template <class N>
std::pair<sn::History, std::vector<float>> interrupt_and_resume(const task& t, sn::FitOptions o, int k) {
    N net{sn::Seed{5}};
    o.on_epoch = [k](const sn::EpochRecord& e) {
        if (e.epoch == k) throw interrupted{};
    };
    CHECK_THROWS_AS(sn::fit(net, t.train.x, t.train.y, o), interrupted);
    N fresh{sn::Seed{99}};
    std::vector<int> seen;
    o.on_epoch = [&](const sn::EpochRecord& e) { seen.push_back(e.epoch); };
    const sn::History h = sn::resume(fresh, o.checkpoint->path, t.train.x, t.train.y, o);
    REQUIRE(!seen.empty());
    CHECK(seen.front() == k + 1);  // only the epochs after the checkpoint ran again
    return {h, params_of(fresh)};
}

}  // namespace

TEST_CASE("resumed at an epoch boundary, a fit ends bit for bit as the uninterrupted one") {
    temp_dir dir("boundary");
    const task t = make_task();

    SUBCASE("Adam, OneCycleLR, dropout, shuffling, 2 threads") {
        sn::FitOptions o = one_cycle(t, dir.path / "a.ckpt");
        o.threads = 2;
        Net whole{sn::Seed{5}};
        const sn::History h = sn::fit(whole, t.train.x, t.train.y, o);
        REQUIRE(h.epochs.size() == 8);
        for (const int k : {1, 3, 7}) {
            CAPTURE(k);
            o.checkpoint->path = dir.path / ("b" + std::to_string(k) + ".ckpt");
            const auto [resumed, weights] = interrupt_and_resume<Net>(t, o, k);
            check_same_history(resumed, h);
            CHECK(same_bits(weights, params_of(whole)));
        }
    }
    SUBCASE("SGD momentum, ReduceLROnPlateau, early stopping that ends the run after the interruption") {
        sn::FitOptions o = plateau(t, dir.path / "a.ckpt");
        Net whole{sn::Seed{5}};
        const sn::History h = sn::fit(whole, t.train.x, t.train.y, o);
        REQUIRE(h.stop == sn::StopReason::early_stopped);
        REQUIRE(h.epochs.size() < 40);
        // The rate was reduced, and the interruption falls between the best epoch and the stop.
        CHECK(h.epochs.back().learning_rate < h.epochs.front().learning_rate);
        const int k = h.best_epoch + 1;
        REQUIRE(k < static_cast<int>(h.epochs.size()));
        o.checkpoint->path = dir.path / "b.ckpt";
        const auto [resumed, weights] = interrupt_and_resume<Net>(t, o, k);
        check_same_history(resumed, h);
        CHECK(same_bits(weights, params_of(whole)));
    }
}

TEST_CASE("resumed at an epoch boundary, the monitors go on as they were: L4.3's note and L6.1's smoothed loss") {
    temp_dir dir("monitors");
    SUBCASE("L4.3 without early stopping: the warning recorded before the interruption stays the only one") {
        using Plain = sn::Network<sn::Classification<4>, NoDropout, sn::Input<10>, sn::Dense<128, sn::He>, sn::ReLU,
                                  sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>;
        task t{blobs(48, 8), blobs(400, 9)};
        sn::kernels::rng r(3);
        for (std::size_t i = 0; i < 48; i += 3) t.train.y(i) = static_cast<std::int32_t>(r.below(4));
        sn::FitOptions o = quiet(40, 8);
        o.validation = sn::Validation{t.val.x, t.val.y};
        o.checkpoint = sn::Checkpoint{.path = dir.path / "a.ckpt"};
        Plain whole{sn::Seed{5}};
        const sn::History h = sn::fit(whole, t.train.x, t.train.y, o);
        REQUIRE(h.fired("L4.3"));
        const auto l43 = std::find_if(h.diagnostics.begin(), h.diagnostics.end(), [](const auto& d) { return d.id == "L4.3"; });
        const int fired_at = std::stoi(l43->evidence.substr(6));  // "epoch N"
        REQUIRE(fired_at + 5 < 40);
        o.checkpoint->path = dir.path / "b.ckpt";
        const auto [resumed, weights] = interrupt_and_resume<Plain>(t, o, fired_at + 2);
        check_same_history(resumed, h);
        CHECK(same_bits(weights, params_of(whole)));
    }
    SUBCASE("L4.3 under early stopping: held from before the interruption, noted after it") {
        // 10-128-128-4 without dropout memorizes 48 noisy samples (test_early_stopping.cpp).
        using Plain = sn::Network<sn::Classification<4>, NoDropout, sn::Input<10>, sn::Dense<128, sn::He>, sn::ReLU,
                                  sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<4>, sn::Softmax>;
        task t{blobs(48, 8), blobs(400, 9)};
        sn::kernels::rng r(3);
        for (std::size_t i = 0; i < 48; i += 3) t.train.y(i) = static_cast<std::int32_t>(r.below(4));
        sn::FitOptions o = quiet(60, 8);
        o.validation = sn::Validation{t.val.x, t.val.y};
        o.early_stopping = sn::EarlyStopping{.patience = 30};  // L4.3's rule holds for 5 epochs before the stop
        o.checkpoint = sn::Checkpoint{.path = dir.path / "a.ckpt"};
        Plain whole{sn::Seed{5}};
        const sn::History h = sn::fit(whole, t.train.x, t.train.y, o);
        REQUIRE(h.stop == sn::StopReason::early_stopped);
        REQUIRE(h.fired("L4.3"));
        o.checkpoint->path = dir.path / "b.ckpt";
        const auto [resumed, weights] = interrupt_and_resume<Plain>(t, o, static_cast<int>(h.epochs.size()) - 3);
        check_same_history(resumed, h);
        CHECK(same_bits(weights, params_of(whole)));
    }
    SUBCASE("L6.1's smoothed loss, which spans the interruption, diverges at the same step") {
        const task t = make_task();
        sn::FitOptions o = quiet(8, 16);
        o.validation = sn::Validation{t.val.x, t.val.y};
        o.checkpoint = sn::Checkpoint{.path = dir.path / "a.ckpt"};
        // After epoch 3 every label moves to the next class and the inputs grow tenfold: the
        // smoothed loss jumps far above its minimum (test_fit.cpp's L6.1 case).
        const auto diverged = [&](sn::FitOptions run, int interrupt_after) {
            task copy = t;
            Net net{sn::Seed{5}};
            const auto corrupt_after_3 = [&copy](const sn::EpochRecord& e) {
                if (e.epoch != 3) return;
                for (auto& label : copy.train.y) label = (label + 1) % 4;
                for (auto& v : copy.train.x) v *= 10.f;
            };
            if (interrupt_after) {
                run.on_epoch = [&](const sn::EpochRecord& e) {
                    if (e.epoch == interrupt_after) throw interrupted{};
                };
                CHECK_THROWS_AS(sn::fit(net, copy.train.x, copy.train.y, run), interrupted);
            }
            run.on_epoch = corrupt_after_3;
            try {
                if (interrupt_after)
                    sn::resume(net, run.checkpoint->path, copy.train.x, copy.train.y, run);
                else
                    sn::fit(net, copy.train.x, copy.train.y, run);
            } catch (const sn::divergence_error& e) {
                return std::make_pair(std::string(e.what()), e.history());
            }
            FAIL("expected divergence_error");
            return std::make_pair(std::string(), sn::History{});
        };
        const auto [want, want_history] = diverged(o, 0);
        CHECK(contains(want, "the smoothed training loss rose to "));
        CHECK(contains(want, "in epoch 4"));
        o.checkpoint->path = dir.path / "b.ckpt";
        const auto [got, got_history] = diverged(o, 2);
        CHECK(got == want);
        check_same_history(got_history, want_history);
    }
}

TEST_CASE(
    "killed (SIGKILL) in the middle of an epoch, a fit resumed from its last checkpoint ends bit for bit as the uninterrupted "
    "one") {
    temp_dir dir("kill");
    const task t = make_task(6000);
    sn::FitOptions o = one_cycle(t, dir.path / "whole.ckpt", 6);
    o.threads = 1;  // the child of fork() has no thread pool workers
    Wide whole{sn::Seed{5}};
    const sn::History h = sn::fit(whole, t.train.x, t.train.y, o);
    REQUIRE(h.epochs.size() == 6);
    const double epoch_seconds = h.epochs[2].seconds;
    MESSAGE("an epoch takes " << epoch_seconds << " s");

    // On a busy machine the kill may come late; each attempt must still resume exactly, and one
    // of at most three must land inside epoch 3, after the checkpoint of epoch 2.
    bool mid_epoch = false;
    for (int attempt = 0; attempt < 3 && !mid_epoch; ++attempt) {
        const fs::path ckpt = dir.path / ("killed" + std::to_string(attempt) + ".ckpt");
        o.checkpoint->path = ckpt;
        int pipe_fds[2];
        REQUIRE(::pipe(pipe_fds) == 0);
        std::fflush(nullptr);
        const pid_t child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            // The child trains, says when epoch 2 and its checkpoint are done, and never returns.
            ::close(pipe_fds[0]);
            Wide net{sn::Seed{5}};
            o.on_epoch = [&](const sn::EpochRecord& e) {
                if (e.epoch == 2) (void)!::write(pipe_fds[1], "2", 1);
            };
            try {
                sn::fit(net, t.train.x, t.train.y, o);
            } catch (...) {}
            ::_exit(0);
        }
        ::close(pipe_fds[1]);
        char got = 0;
        REQUIRE(::read(pipe_fds[0], &got, 1) == 1);
        ::close(pipe_fds[0]);
        std::this_thread::sleep_for(std::chrono::duration<double>(epoch_seconds / 4));  // into epoch 3
        REQUIRE(::kill(child, SIGKILL) == 0);
        int status = 0;
        REQUIRE(::waitpid(child, &status, 0) == child);
        REQUIRE(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGKILL);

        Wide probe;
        const sn::detail::run_state last = sn::detail::read_checkpoint(probe.engine(), ckpt);
        REQUIRE_FALSE(last.finished);
        MESSAGE("attempt " << attempt + 1 << ": killed after the checkpoint of epoch " << last.epochs_done);
        mid_epoch = last.epochs_done == 2;

        Wide resumed{sn::Seed{99}};
        o.on_epoch = {};
        const sn::History r = sn::resume(resumed, ckpt, t.train.x, t.train.y, o);
        check_same_history(r, h);
        CHECK(same_bits(params_of(resumed), params_of(whole)));
    }
    CHECK(mid_epoch);
}

TEST_CASE("a finished fit's checkpoint resumes to its result without training; checkpoints every k epochs and at the end") {
    temp_dir dir("finished");
    const task t = make_task();
    sn::FitOptions o = one_cycle(t, dir.path / "run.ckpt", 7);
    o.checkpoint->every_epochs = 3;
    Net net{sn::Seed{5}};
    std::vector<int> saved_at;  // the checkpoint's epoch as on_epoch finds it after each epoch
    o.on_epoch = [&](const sn::EpochRecord&) {
        Net probe;
        saved_at.push_back(
            fs::exists(o.checkpoint->path) ? sn::detail::read_checkpoint(probe.engine(), o.checkpoint->path).epochs_done : 0);
    };
    const sn::History h = sn::fit(net, t.train.x, t.train.y, o);
    // After epochs 3 and 6; the last epoch's is the final one, written after on_epoch.
    CHECK(saved_at == std::vector<int>{0, 0, 3, 3, 3, 6, 6});
    Net probe;
    const sn::detail::run_state final_state = sn::detail::read_checkpoint(probe.engine(), o.checkpoint->path);
    CHECK(final_state.finished);
    CHECK(final_state.epochs_done == 7);

    Net again{sn::Seed{99}};
    int epochs_run = 0;
    o.on_epoch = [&](const sn::EpochRecord&) { ++epochs_run; };
    const sn::History r = sn::resume(again, o.checkpoint->path, t.train.x, t.train.y, o);
    CHECK(epochs_run == 0);
    check_same_history(r, h);
    CHECK(same_bits(params_of(again), params_of(net)));

    // An early-stopped fit's final checkpoint, epochs before the last: no more epochs either.
    sn::FitOptions p = plateau(t, dir.path / "stopped.ckpt");
    Net stopped{sn::Seed{5}};
    const sn::History hs = sn::fit(stopped, t.train.x, t.train.y, p);
    REQUIRE(hs.stop == sn::StopReason::early_stopped);
    Net again_stopped{sn::Seed{99}};
    int more = 0;
    p.on_epoch = [&](const sn::EpochRecord&) { ++more; };
    const sn::History rs = sn::resume(again_stopped, p.checkpoint->path, t.train.x, t.train.y, p);
    CHECK(more == 0);
    check_same_history(rs, hs);
    CHECK(same_bits(params_of(again_stopped), params_of(stopped)));
}

TEST_CASE("a bad checkpoint is an io_error naming what is wrong, and the network is left unchanged") {
    temp_dir dir("bad");
    const task t = make_task();
    const fs::path good = dir.path / "good.ckpt";
    sn::FitOptions o = one_cycle(t, good, 2);
    Net trained{sn::Seed{5}};
    sn::fit(trained, t.train.x, t.train.y, o);
    const bytes file = read_bytes(good);
    REQUIRE(file.size() > 1000);

    const auto refused = [&](const fs::path& p) {
        Net net{sn::Seed{3}};
        const std::vector<float> before = params_of(net);
        const std::string what = message_of<sn::io_error>([&] { sn::resume(net, p, t.train.x, t.train.y, o); });
        CHECK(same_bits(params_of(net), before));
        return what;
    };
    CHECK(contains(refused(dir.path / "absent.ckpt"), "cannot read checkpoint '" + (dir.path / "absent.ckpt").string() + "'"));
    CHECK(contains(refused(write_file(dir.path / "empty.ckpt", bytes{})), "the file is empty (0 bytes)"));
    CHECK(contains(refused(write_file(dir.path / "text.ckpt", "hello, world")), "not a sanenet checkpoint (magic \"hello, w\""));
    trained.save(dir.path / "model.sanenet");
    CHECK(contains(refused(dir.path / "model.sanenet"), "it is a model file (Network::save), not a checkpoint"));

    SUBCASE("every truncation") {
        for (std::size_t n = 1; n < file.size(); n += (n < 200 ? 1 : 97)) {
            CAPTURE(n);
            const std::string what = refused(write_file(dir.path / "cut.ckpt", bytes(file.begin(), file.begin() + n)));
            CHECK((contains(what, "truncated") || contains(what, "checksum mismatch") ||
                   contains(what, "not a sanenet checkpoint")));
        }
    }
    SUBCASE("a flipped byte anywhere") {
        for (std::size_t at = 20; at < file.size(); at += 131) {
            CAPTURE(at);
            bytes b = file;
            b[at] ^= 0x40;
            const std::string what = refused(write_file(dir.path / "flip.ckpt", b));
            CHECK((contains(what, "checksum mismatch") || contains(what, "truncated") || contains(what, "corrupted")));
        }
    }
    SUBCASE("a state that passes the checksum but holds an impossible value") {
        bytes b = file;
        const std::size_t layers = b[28], state = 32 + 16 * layers + 8;
        b[state + 4] = 7;  // the finished flag
        std::uint64_t h = 0xcbf29ce484222325ull;
        for (std::size_t i = 0; i + 8 < b.size(); ++i) h = (h ^ b[i]) * 0x100000001b3ull;
        for (int i = 0; i < 8; ++i) b[b.size() - 8 + static_cast<std::size_t>(i)] = static_cast<unsigned char>(h >> (8 * i));
        CHECK(
            contains(refused(write_file(dir.path / "odd.ckpt", b)), "corrupted state: the finished flag is 7, expected 0 or 1"));
    }
    SUBCASE("another architecture") {
        Narrower other;
        const std::vector<float> before = params_of(other);
        const std::string what = message_of<sn::io_error>([&] { sn::resume(other, good, t.train.x, t.train.y, o); });
        CHECK(contains(what, "layer 1 differs: file Dense 10->64 ReLU, network Dense 10->48 ReLU"));
        CHECK(same_bits(params_of(other), before));
    }
}

TEST_CASE("resuming with other options or data is an argument_error naming what differs; the network is unchanged") {
    temp_dir dir("other_run");
    task t = make_task();
    const fs::path ckpt = dir.path / "run.ckpt";
    sn::FitOptions o = one_cycle(t, ckpt, 2);
    Net trained{sn::Seed{5}};
    sn::fit(trained, t.train.x, t.train.y, o);

    const auto refused = [&](const sn::FitOptions& call, const sn::labels& y) {
        Net net{sn::Seed{3}};
        const std::vector<float> before = params_of(net);
        const std::string what = message_of<sn::argument_error>([&] { sn::resume(net, ckpt, t.train.x, y, call); });
        CHECK(same_bits(params_of(net), before));
        CHECK(contains(what, "sn::resume continues a fit with the options and data it was started with"));
        return what;
    };
    sn::FitOptions other = o;
    other.batch_size = 32;
    CHECK(contains(refused(other, t.train.y), "batch_size differs: the checkpoint's fit has 16, this call 32"));
    other = o;
    other.schedule = sn::OneCycleLR{.max_lr = 0.02f};
    CHECK(contains(refused(other, t.train.y),
                   "schedule differs: the checkpoint's fit has OneCycleLR{max_lr = 0.01, pct_start = 0.3}, this call "
                   "OneCycleLR{max_lr = 0.02, pct_start = 0.3}"));
    other = o;
    other.optimizer = sn::AdamW{};
    CHECK(contains(refused(other, t.train.y), "optimizer differs: the checkpoint's fit has Adam{"));
    sn::labels y = t.train.y;
    y(7) = (y(7) + 1) % 4;
    CHECK(contains(refused(o, y), "training data differs"));
    other = o;
    other.validation = std::nullopt;
    other.early_stopping = std::nullopt;
    CHECK(contains(refused(other, t.train.y), "early_stopping differs"));
    other = o;
    other.class_weights = {1.f, 2.f, 1.f, 1.f};
    CHECK(contains(refused(other, t.train.y), "class_weights differs: the checkpoint's fit has none, this call {1, 2, 1, 1}"));
}

TEST_CASE("with scalers attached, resume takes raw data as fit does, and refuses a network without the fit's scalers") {
    temp_dir dir("scalers");
    task t = make_task();
    // Raw units: every input column shifted and stretched differently; the scaler undoes it.
    for (std::size_t i = 0; i < t.train.x.shape()[0]; ++i)
        for (std::size_t j = 0; j < 10; ++j) t.train.x(i, j) = 40.f + 25.f * static_cast<float>(j) * t.train.x(i, j);
    for (std::size_t i = 0; i < t.val.x.shape()[0]; ++i)
        for (std::size_t j = 0; j < 10; ++j) t.val.x(i, j) = 40.f + 25.f * static_cast<float>(j) * t.val.x(i, j);
    sn::Standardizer sx;
    sx.fit(t.train.x);
    sn::FitOptions o = one_cycle(t, dir.path / "a.ckpt", 6);
    Net whole{sn::Seed{5}};
    whole.attach_input_scaler(sx);
    const sn::History h = sn::fit(whole, t.train.x, t.train.y, o);
    REQUIRE(h.epochs.size() == 6);

    o.checkpoint->path = dir.path / "b.ckpt";
    Net first{sn::Seed{5}};
    first.attach_input_scaler(sx);
    sn::FitOptions stopping = o;
    stopping.on_epoch = [](const sn::EpochRecord& e) {
        if (e.epoch == 3) throw interrupted{};
    };
    CHECK_THROWS_AS(sn::fit(first, t.train.x, t.train.y, stopping), interrupted);

    Net bare{sn::Seed{99}};  // no scaler: not the fit's network
    const std::vector<float> before = params_of(bare);
    const std::string what =
        message_of<sn::argument_error>([&] { sn::resume(bare, o.checkpoint->path, t.train.x, t.train.y, o); });
    CHECK(contains(what, "scalers differs: the checkpoint's fit has input 10 columns (fingerprint "));
    CHECK(contains(what, "this call none"));
    CHECK(same_bits(params_of(bare), before));

    Net resumed{sn::Seed{99}};
    resumed.attach_input_scaler(sx);
    const sn::History r = sn::resume(resumed, o.checkpoint->path, t.train.x, t.train.y, o);
    check_same_history(r, h);
    CHECK(same_bits(params_of(resumed), params_of(whole)));
}

TEST_CASE("resume is a write of the network, as fit is: a read of it while resume runs is refused") {
    temp_dir dir("in_use");
    const task t = make_task();
    sn::FitOptions o = one_cycle(t, dir.path / "a.ckpt", 4);
    Net first{sn::Seed{5}};
    o.on_epoch = [](const sn::EpochRecord& e) {
        if (e.epoch == 2) throw interrupted{};
    };
    CHECK_THROWS_AS(sn::fit(first, t.train.x, t.train.y, o), interrupted);
    Net net{sn::Seed{99}};
    std::vector<std::string> refused;
    o.on_epoch = [&](const sn::EpochRecord&) {
        refused.push_back(message_of<sn::argument_error>([&] { (void)net.predict(t.val.x); }));
    };
    sn::resume(net, o.checkpoint->path, t.train.x, t.train.y, o);
    REQUIRE(refused.size() == 2);
    for (const std::string& what : refused) CHECK(contains(what, "predict: this network is being written by another thread"));
    CHECK(net.predict(t.val.x).shape()[0] == t.val.x.shape()[0]);  // free again once resume returned
}

TEST_CASE("a failed checkpoint write does not stop the fit: a warning in the History and on stderr, the same training") {
    temp_dir dir("failed");
    const task t = make_task();
    sn::FitOptions plain = one_cycle(t, dir.path / "unused", 4);
    plain.checkpoint = std::nullopt;
    Net reference{sn::Seed{5}};
    const sn::History want = sn::fit(reference, t.train.x, t.train.y, plain);

    const fs::path ckpt = dir.path / "later" / "run.ckpt";  // the directory does not exist yet
    sn::FitOptions o = one_cycle(t, ckpt, 4);
    o.progress = true;  // the warning line is printed with or without a terminal
    // The directory appears after epoch 2: the checkpoints of epochs 1 and 2 fail, the next ones succeed.
    o.on_epoch = [&](const sn::EpochRecord& e) {
        if (e.epoch == 2) fs::create_directories(dir.path / "later");
    };
    Net net{sn::Seed{5}};
    std::FILE* err = std::tmpfile();
    REQUIRE(err != nullptr);
    std::fflush(stderr);
    const int saved = ::dup(2);
    ::dup2(::fileno(err), 2);
    sn::History h;
    try {
        h = sn::fit(net, t.train.x, t.train.y, o);
    } catch (...) {
        std::fflush(stderr);
        ::dup2(saved, 2);
        throw;
    }
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    std::string printed;
    std::rewind(err);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, err)) > 0;) printed.append(buf, n);
    std::fclose(err);

    CHECK(same_bits(params_of(net), params_of(reference)));
    REQUIRE(h.epochs.size() == 4);
    std::vector<const sn::Diagnostic*> failures;
    for (const auto& d : h.diagnostics)
        if (d.id == "checkpoint") failures.push_back(&d);
    REQUIRE(failures.size() == 2);
    for (int e = 1; e <= 2; ++e) {
        const sn::Diagnostic& d = *failures[static_cast<std::size_t>(e - 1)];
        CAPTURE(d.message);
        CHECK(d.severity == sn::Severity::warning);
        CHECK(d.evidence == "epoch " + std::to_string(e));
        CHECK(contains(d.message, "sanenet checkpoint: the checkpoint after epoch " + std::to_string(e) +
                                      " was not written (cannot write checkpoint '" + ckpt.string() + "': "));
        CHECK(contains(d.message, "training goes on and the last checkpoint written stays as it was"));
        CHECK(contains(printed,
                       "sanenet warning checkpoint: the checkpoint after epoch " + std::to_string(e) + " was not written"));
    }
    // Epoch 3's checkpoint and the final one were written: the run resumes to its end.
    Net probe;
    CHECK(sn::detail::read_checkpoint(probe.engine(), ckpt).finished);
    check_same_history(sn::History{want.metric, want.epochs, {}, want.stop, want.stop_message, want.best_epoch},
                       sn::History{h.metric, h.epochs, {}, h.stop, h.stop_message, h.best_epoch});
}

TEST_CASE("checkpoint options that cannot apply are argument_errors naming the option, before any step") {
    temp_dir dir("options");
    const task t = make_task();
    const auto refused = [&](const sn::FitOptions& o) {
        Net net;
        const std::vector<float> before = params_of(net);
        const std::string what = message_of<sn::argument_error>([&] { sn::fit(net, t.train.x, t.train.y, o); });
        CHECK(same_bits(params_of(net), before));
        CHECK(dir.names().empty());
        return what;
    };
    sn::FitOptions o = one_cycle(t, dir.path / "run.ckpt", 2);
    o.checkpoint->every_epochs = 0;
    CHECK(contains(refused(o), "FitOptions::checkpoint: Checkpoint::every_epochs is 0, expected >= 1"));
    o = one_cycle(t, dir.path / "", 2);
    CHECK(contains(refused(o), "FitOptions::checkpoint: Checkpoint::path '" + (dir.path / "").string() + "' names no file"));
    // The internal entry point has no writer: it refuses rather than silently skip the checkpoints.
    Net net;
    CHECK_THROWS_AS(sn::detail::fit_model(net.engine(), t.train.x, sn::detail::targets_for<Net>(t.train.y),
                                          one_cycle(t, dir.path / "run.ckpt", 2), {}),
                    sn::argument_error);
}
