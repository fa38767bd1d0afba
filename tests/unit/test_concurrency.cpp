// Which calls may run at the same time (docs/reliability.md, "Threads"), each guarantee tested
// here and run under ThreadSanitizer by `make sanitize`: const calls (predict, predict_one,
// evaluate, save) from many threads on one network agree bit for bit with one thread's; fit on
// different networks at once gives what it gives alone; a call that would write a network
// another thread uses (fit or load during predict, predict or save during fit, two fits) is
// refused with an argument_error and changes nothing.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "child_process.hpp"
#include "test_support.hpp"

#include <array>
#include <atomic>
#include <csignal>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sn = sanenet;
using namespace sanenet_test;

namespace {

using Net = sn::Network<sn::Classification<4>, sn::Input<10>, sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU, sn::Dense<4>,
                        sn::Softmax>;

bool same_bits(const sn::matrix& a, const sn::matrix& b) {
    return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

constexpr int threads = 6;

// Runs f(t) on `threads` threads at once (released together) and joins them.
template <class F>
void on_threads(F&& f) {
    std::atomic<int> ready{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            ready.fetch_add(1);
            while (ready.load() < threads) std::this_thread::yield();
            f(t);
        });
    for (auto& th : pool) th.join();
}

}  // namespace

TEST_CASE("predict, predict_one, evaluate and save from six threads on one network agree bit for bit with one thread") {
    const blobs_data d = blobs(600, 1);
    Net net{sn::Seed{3}};
    sn::fit(net, d.x, d.y, quiet(2));
    const sn::matrix expected = net.predict(d.x, 1);
    const sn::Evaluation expected_eval = sn::evaluate(net, d.x, d.y, 1);
    std::vector<float> expected_one(4 * 20);
    for (std::size_t r = 0; r < 20; ++r)
        net.predict_one(std::span<const float>(d.x.data() + 10 * r, 10), std::span<float>(expected_one.data() + 4 * r, 4));
    temp_dir dir("threads");
    net.save(dir.path / "reference.sanenet");
    const bytes expected_file = read_bytes(dir.path / "reference.sanenet");

    std::atomic<int> mismatches{0}, errors{0};
    on_threads([&](int t) {
        try {
            for (int round = 0; round < 5; ++round) {
                // threads = 0: every caller asks for the whole pool; the one that gets it splits the
                // work, the others run inline, and the results are the same.
                if (!same_bits(net.predict(d.x), expected)) mismatches.fetch_add(1);
                const sn::Evaluation e = sn::evaluate(net, d.x, d.y);
                if (e.loss != expected_eval.loss || e.metric != expected_eval.metric) mismatches.fetch_add(1);
                float out[4];
                for (std::size_t r = 0; r < 20; ++r) {
                    net.predict_one(std::span<const float>(d.x.data() + 10 * r, 10), out);
                    if (std::memcmp(out, expected_one.data() + 4 * r, sizeof out) != 0) mismatches.fetch_add(1);
                }
                const auto file = dir.path / ("t" + std::to_string(t) + ".sanenet");
                net.save(file);
                if (read_bytes(file) != expected_file) mismatches.fetch_add(1);
            }
        } catch (...) {
            errors.fetch_add(1);
        }
    });
    CHECK(errors.load() == 0);
    CHECK(mismatches.load() == 0);
}

TEST_CASE("fit on different networks at once gives each what it gives alone") {
    const blobs_data d = blobs(512, 2);
    sn::FitOptions o = quiet(3);
    o.threads = 0;  // they compete for the pool: who gets it must not matter
    Net alone{sn::Seed{5}};
    const sn::History h = sn::fit(alone, d.x, d.y, o);
    const std::vector<float> expected = params_of(alone);

    std::vector<Net> nets(threads, Net{sn::Seed{5}});
    std::vector<double> last_loss(threads, 0.0);
    std::atomic<int> errors{0};
    on_threads([&](int t) {
        try {
            last_loss[static_cast<std::size_t>(t)] =
                sn::fit(nets[static_cast<std::size_t>(t)], d.x, d.y, o).epochs.back().train_loss;
        } catch (...) {
            errors.fetch_add(1);
        }
    });
    CHECK(errors.load() == 0);
    for (int t = 0; t < threads; ++t) {
        CHECK(params_of(nets[static_cast<std::size_t>(t)]) == expected);
        CHECK(last_loss[static_cast<std::size_t>(t)] == h.epochs.back().train_loss);
    }
}

TEST_CASE("predict and save while fit runs on the same network are refused, and never see weights in the middle of a step") {
    const blobs_data d = blobs(2000, 3);
    Net net{sn::Seed{7}};
    const sn::matrix before = net.predict(d.x, 1);
    std::atomic<bool> done{false};
    std::atomic<int> refused{0}, refused_saves{0};
    std::vector<sn::matrix> seen;
    std::string message, save_message;
    std::thread trainer([&] {
        // fit itself is refused while a predict below runs: it tries again until it gets in.
        for (bool trained = false; !trained;) {
            try {
                sn::fit(net, d.x, d.y, quiet(40));
                trained = true;
            } catch (const sn::argument_error&) {}
        }
        done.store(true);
    });
    temp_dir dir("during_fit");
    while (!done.load()) {
        try {
            seen.push_back(net.predict(d.x, 1));
        } catch (const sn::argument_error& e) {
            if (refused.fetch_add(1) == 0) message = e.what();
        }
        try {
            net.save(dir.path / "net.sanenet");
        } catch (const sn::argument_error& e) {
            if (refused_saves.fetch_add(1) == 0) save_message = e.what();
        }
    }
    trainer.join();
    const sn::matrix after = net.predict(d.x, 1);
    CHECK(refused.load() > 0);
    CHECK(refused_saves.load() > 0);
    CHECK(contains(message, "predict: this network is being written by another thread (fit or load is running on it)"));
    CHECK(contains(save_message, "save: this network is being written by another thread"));
    // Every prediction that was allowed ran before fit started or after it ended.
    for (const auto& p : seen) CHECK((same_bits(p, before) || same_bits(p, after)));
    CHECK_FALSE(same_bits(before, after));
}

TEST_CASE("fit or load while other threads predict with a network is refused and changes nothing") {
    const blobs_data d = blobs(4000, 4);
    Net net{sn::Seed{9}};
    temp_dir dir("during_predict");
    Net other{sn::Seed{10}};
    other.save(dir.path / "other.sanenet");
    std::atomic<bool> stop{false};
    std::atomic<int> predicting{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 2; ++t)
        readers.emplace_back([&] {
            while (!stop.load()) {
                predicting.fetch_add(1);
                (void)net.predict(d.x, 1);
            }
        });
    while (predicting.load() < 20) std::this_thread::yield();
    int fit_refused = 0, load_refused = 0, changed_by_refused = 0;
    std::string fit_message, load_message;
    for (int attempt = 0; attempt < 200 && (fit_refused == 0 || load_refused == 0); ++attempt) {
        std::vector<float> held = params_of(net);  // a read, like the readers'
        try {
            sn::fit(net, d.x, d.y, quiet(1));
        } catch (const sn::argument_error& e) {
            if (fit_refused++ == 0) fit_message = e.what();
            if (params_of(net) != held) ++changed_by_refused;
        }
        held = params_of(net);
        try {
            net.load(dir.path / "other.sanenet");
        } catch (const sn::argument_error& e) {
            if (load_refused++ == 0) load_message = e.what();
            if (params_of(net) != held) ++changed_by_refused;
        }
    }
    stop.store(true);
    for (auto& th : readers) th.join();
    CHECK(fit_refused > 0);
    CHECK(load_refused > 0);
    CHECK(changed_by_refused == 0);
    CHECK(contains(fit_message, "fit: this network is in use by another thread ("));
    CHECK(contains(fit_message, "such as predict or save are reading it), and a network is not written while it is used"));
    CHECK(contains(load_message, "load: this network is in use by another thread"));
    // Nobody else uses it now: the same calls go through.
    net.load(dir.path / "other.sanenet");
    CHECK(params_of(net) == params_of(other));
}

TEST_CASE("a second fit of a network that is being fitted is refused") {
    const blobs_data d = blobs(2000, 5);
    Net net{sn::Seed{11}};
    std::atomic<bool> done{false};
    std::thread first([&] {
        // Refused while one of the predicts below runs: it tries again until it gets in.
        for (bool trained = false; !trained;) {
            try {
                sn::fit(net, d.x, d.y, quiet(30));
                trained = true;
            } catch (const sn::argument_error&) {}
        }
        done.store(true);
    });
    // Wait until the first fit runs: predict is refused from then on.
    for (bool running = false; !running && !done.load();) {
        try {
            (void)net.predict(d.x, 1);
        } catch (const sn::argument_error&) {
            running = true;
        }
    }
    int refused = 0;
    std::string message;
    try {
        sn::fit(net, d.x, d.y, quiet(1));
    } catch (const sn::argument_error& e) {
        ++refused;
        message = e.what();
    }
    first.join();
    CHECK(refused == 1);
    CHECK(contains(message, "fit: this network is in use by another thread (fit or load is running on it)"));
}

// The calls issue 15 brought: attaching or detaching scalers and import_npy write the network,
// export_header reads it. Each is held against a use taken the way the public calls take it
// (one thread here: a use that is held is what another thread's running call looks like).
TEST_CASE("the scaler setters and import_npy are writes, export_header is a read: refused during a conflicting use") {
    using Reg = sn::Network<sn::Regression, sn::Allow<sn::lint::NoRegularization, sn::lint::TooFewHiddenUnits>, sn::Input<3>,
                            sn::Dense<2>, sn::Identity>;
    Reg net{sn::Seed{1}};
    sn::matrix x = sn::matrix::from_shape({4, 3});
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(i % 5);
    sn::matrix y = sn::matrix::from_shape({4, 2});
    for (std::size_t i = 0; i < y.size(); ++i) y.data()[i] = static_cast<float>(i % 3);
    const sn::Standardizer sx = sn::Standardizer{}.fit(x), sy = sn::Standardizer{}.fit(y);
    temp_dir dir("issue15_calls");
    sn::export_npy(net, dir.path / "npy");
    const std::vector<float> held = params_of(net);
    {
        const sn::detail::read_use reading(net.engine(), "predict");  // as a predict running on another thread
        CHECK(contains(message_of<sn::argument_error>([&] { net.attach_input_scaler(sx); }),
                       "attach_input_scaler: this network is in use by another thread"));
        CHECK(contains(message_of<sn::argument_error>([&] { net.attach_target_scaler(sy); }),
                       "attach_target_scaler: this network is in use by another thread"));
        CHECK(contains(message_of<sn::argument_error>([&] { net.detach_scalers(); }),
                       "detach_scalers: this network is in use by another thread"));
        CHECK(contains(message_of<sn::argument_error>([&] { sn::import_npy(net, dir.path / "npy"); }),
                       "import_npy: this network is in use by another thread"));
        sn::export_header(net, dir.path / "net.h");  // a read beside a read
    }
    CHECK_FALSE(net.has_input_scaler());
    CHECK_FALSE(net.has_target_scaler());
    CHECK(params_of(net) == held);
    {
        const sn::detail::write_use writing(net.engine(), "fit");  // as a fit running on another thread
        CHECK(contains(message_of<sn::argument_error>([&] { sn::export_header(net, dir.path / "net2.h"); }),
                       "export_header: this network is being written by another thread"));
        CHECK_FALSE(std::filesystem::exists(dir.path / "net2.h"));
    }
    // Nobody else uses it now: the same calls go through.
    net.attach_input_scaler(sx);
    net.attach_target_scaler(sy);
    CHECK(net.has_input_scaler());
    net.detach_scalers();
    sn::import_npy(net, dir.path / "npy");
    sn::export_header(net, dir.path / "net2.h");
    CHECK(std::filesystem::exists(dir.path / "net2.h"));
}

// predict_one with fixed-size arguments is noexcept (DESIGN.md): it cannot refuse by throwing,
// so a call while fit or load runs ends the program with the refusal's message instead of
// reading weights that are being written. In a child, so that the test survives it.
TEST_CASE("the noexcept predict_one during a write ends the program rather than read weights being written") {
    Net net{sn::Seed{3}};
    std::array<float, 10> in{};
    std::array<float, 4> out{};
    net.predict_one(in, out);  // nobody writes: fine
    const child_outcome r = run_in_child([&]() -> std::string {
        std::signal(SIGABRT, SIG_DFL);  // not doctest's handler: the child just ends
        const sn::detail::write_use writing(net.engine(), "fit");
        net.predict_one(in, out);
        return "predicted";
    });
    INFO("exit " << r.exit_code << ", signal " << r.signal << ": " << r.text);
    CHECK(r.signal == SIGABRT);
    CHECK(r.text.empty());
}
