// Fuzz target: the checkpoint reader (io/checkpoint.hpp read_checkpoint, what sn::resume reads)
// for a classification and a regression network. An input either loads or raises sn::error; an
// input that loads must be a file of the documented layout (its size, its checksum and its
// architecture header checked here by code of the target's own), every field of the state must
// be the file's (read here by a decoder of the layout's own, field by field, floats and doubles
// bit for bit), and what write_checkpoint writes for the state must be the input byte for byte
// (up to the value bytes of an absent optional, which the format does not keep), so no damaged
// checkpoint can be accepted.
#include "fuzz_support.hpp"

#include <cstring>
#include <optional>

namespace sn = sanenet;

namespace {

using Small = sn::Network<sn::Classification<3>, sn::Allow<sn::lint::NoRegularization>, sn::Input<4>, sn::Dense<16, sn::He>,
                          sn::ReLU, sn::Dense<3>, sn::Softmax>;
using Reg = sn::Network<sn::Regression, sn::Allow<sn::lint::NoRegularization, sn::lint::TooFewHiddenUnits>, sn::Input<3>,
                        sn::Dense<8>, sn::Tanh, sn::Dense<2>, sn::Identity>;

// Where a state that loaded is written again; removed at exit.
struct rewrite_dir {
    std::filesystem::path path;
    rewrite_dir() {
        const std::filesystem::path base = std::filesystem::is_directory("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                                                     : std::filesystem::temp_directory_path();
        path = base / ("sanenet_fuzz_checkpoint_" + std::to_string(::getpid()));
        std::filesystem::create_directories(path);
    }
    ~rewrite_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};

const std::filesystem::path& rewrite_path() {
    static const rewrite_dir dir;
    static const std::filesystem::path file = dir.path / "again.ckpt";
    return file;
}

std::uint64_t le(const std::uint8_t* p, int n) {
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

std::uint64_t fnv1a_64(const std::uint8_t* p, std::size_t n) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

// The state as the layout lays it out (docs: encode_state's order in io/checkpoint.hpp), values
// kept as the file's bits. A cursor over the state bytes that refuses to run past the end.
struct walker {
    const std::uint8_t* p;
    std::size_t left;
    bool ok = true;
    // Byte ranges (from the state's start) of the value of an absent optional: not kept.
    std::vector<std::size_t> absent_at;
    const std::uint8_t* start;

    const std::uint8_t* take(std::size_t n) {
        if (!ok || n > left) {
            ok = false;
            static const std::uint8_t zeros[8] = {};
            return zeros;
        }
        const std::uint8_t* at = p;
        p += n;
        left -= n;
        return at;
    }
    std::uint64_t u(int n) { return le(take(static_cast<std::size_t>(n)), n); }
    std::string str() {
        const std::uint64_t n = u(8);
        if (n > left) {
            ok = false;
            return {};
        }
        const std::uint8_t* at = take(static_cast<std::size_t>(n));
        return std::string(reinterpret_cast<const char*>(at), static_cast<std::size_t>(n));
    }
    std::vector<std::uint32_t> floats() {
        const std::uint64_t n = u(8);
        if (n > left / 4) {
            ok = false;
            return {};
        }
        std::vector<std::uint32_t> v(static_cast<std::size_t>(n));
        for (auto& x : v) x = static_cast<std::uint32_t>(u(4));
        return v;
    }
    // (present, bits)
    std::pair<std::uint64_t, std::uint64_t> optional() {
        const std::uint64_t has = u(1);
        if (has == 0) absent_at.push_back(static_cast<std::size_t>(p - start));
        return {has, u(8)};
    }
};

struct diag {
    std::string id;
    std::uint64_t severity;
    std::string message, evidence;
};

struct decoded {
    std::uint64_t epochs_done, finished;
    std::vector<std::pair<std::string, std::string>> run;
    std::vector<std::uint32_t> params, state1, state2, best_params;
    std::uint64_t updates, step;
    std::vector<std::uint64_t> order;
    std::uint64_t rng[4], spare, has_spare;
    std::uint64_t watch_steps, watch[4];
    std::uint64_t total_steps, best_val, train_at_best, overfit_run;
    std::optional<diag> held;
    std::uint64_t early_best, early_best_epoch, early_wait;
    std::uint64_t rate, sched_best, bad_epochs;
    std::string metric;
    struct epoch {
        std::uint64_t number, train_loss, has_val_loss, val_loss, has_val_metric, val_metric, seconds, sps, lr;
    };
    std::vector<epoch> epochs;
    std::vector<diag> diagnostics;
    std::uint64_t stop;
    std::string stop_message;
    std::uint64_t best_epoch;
};

// Decodes the whole state; nullopt where the bytes do not hold one of the layout exactly.
std::optional<decoded> decode(walker& w) {
    decoded d{};
    d.epochs_done = w.u(4);
    d.finished = w.u(1);
    const std::uint64_t entries = w.u(8);
    for (std::uint64_t i = 0; i < entries && w.ok; ++i) {
        std::string name = w.str();
        d.run.emplace_back(std::move(name), w.str());
    }
    d.params = w.floats();
    d.state1 = w.floats();
    d.state2 = w.floats();
    d.updates = w.u(8);
    d.step = w.u(8);
    const std::uint64_t samples = w.u(8);
    for (std::uint64_t i = 0; i < samples && w.ok; ++i) d.order.push_back(w.u(8));
    for (auto& v : d.rng) v = w.u(8);
    d.spare = w.u(8);
    d.has_spare = w.u(1);
    d.watch_steps = w.u(4);
    for (auto& v : d.watch) v = w.u(8);
    d.total_steps = w.u(8);
    d.best_val = w.u(8);
    d.train_at_best = w.u(8);
    d.overfit_run = w.u(4);
    const auto diagnostic = [&] {
        diag g;
        g.id = w.str();
        g.severity = w.u(1);
        g.message = w.str();
        g.evidence = w.str();
        return g;
    };
    if (w.u(1)) d.held = diagnostic();
    d.early_best = w.u(8);
    d.early_best_epoch = w.u(4);
    d.early_wait = w.u(4);
    d.best_params = w.floats();
    d.rate = w.u(8);
    d.sched_best = w.u(8);
    d.bad_epochs = w.u(4);
    d.metric = w.str();
    const std::uint64_t epochs = w.u(8);
    for (std::uint64_t i = 0; i < epochs && w.ok; ++i) {
        decoded::epoch e{};
        e.number = w.u(4);
        e.train_loss = w.u(8);
        std::tie(e.has_val_loss, e.val_loss) = w.optional();
        std::tie(e.has_val_metric, e.val_metric) = w.optional();
        e.seconds = w.u(8);
        e.sps = w.u(8);
        e.lr = w.u(8);
        d.epochs.push_back(e);
    }
    const std::uint64_t found = w.u(8);
    for (std::uint64_t i = 0; i < found && w.ok; ++i) d.diagnostics.push_back(diagnostic());
    d.stop = w.u(1);
    d.stop_message = w.str();
    d.best_epoch = w.u(4);
    if (!w.ok || w.left != 0) return std::nullopt;
    return d;
}

template <class Buffer>
bool same_floats(const Buffer& got, const std::vector<std::uint32_t>& file) {
    if (got.size() != file.size()) return false;
    for (std::size_t i = 0; i < file.size(); ++i) {
        std::uint32_t bits;
        std::memcpy(&bits, &got.data()[i], 4);
        if (bits != file[i]) return false;
    }
    return true;
}

std::uint64_t bits(double v) { return std::bit_cast<std::uint64_t>(v); }
std::uint64_t i32(int v) { return static_cast<std::uint32_t>(v); }

bool same_diag(const sn::Diagnostic& g, const diag& f) {
    return g.id == f.id && static_cast<std::uint64_t>(g.severity) == f.severity && g.message == f.message &&
           g.evidence == f.evidence;
}

// The first field of s that is not the file's, or "".
std::string differs(const sn::detail::run_state& s, const decoded& d) {
    if (i32(s.epochs_done) != d.epochs_done) return "the epoch count";
    if (static_cast<std::uint64_t>(s.finished) != d.finished) return "the finished flag";
    if (s.run != d.run) return "the run record";
    if (!same_floats(s.snapshot.params, d.params)) return "the weights";
    if (!same_floats(s.snapshot.state1, d.state1)) return "the optimizer's first state";
    if (!same_floats(s.snapshot.state2, d.state2)) return "the optimizer's second state";
    if (s.snapshot.updates != d.updates || s.snapshot.step != d.step) return "the update or step count";
    if (s.order.order.size() != d.order.size()) return "the sample order's size";
    for (std::size_t i = 0; i < d.order.size(); ++i)
        if (s.order.order[i] != d.order[i]) return "the sample order";
    for (int i = 0; i < 4; ++i)
        if (s.order.rng.s[i] != d.rng[i]) return "the shuffling stream";
    if (bits(s.order.rng.spare) != d.spare || static_cast<std::uint64_t>(s.order.rng.has_spare) != d.has_spare)
        return "the shuffling stream's spare value";
    if (i32(s.watch.steps) != d.watch_steps || bits(s.watch.avg) != d.watch[0] || bits(s.watch.smoothed) != d.watch[1] ||
        bits(s.watch.first) != d.watch[2] || bits(s.watch.minimum) != d.watch[3])
        return "the divergence watch";
    if (s.monitor.total_steps != d.total_steps || bits(s.monitor.best_val) != d.best_val ||
        bits(s.monitor.train_at_best) != d.train_at_best || i32(s.monitor.overfit_run) != d.overfit_run)
        return "the monitors' state";
    if (s.monitor.held.has_value() != d.held.has_value() || (d.held && !same_diag(*s.monitor.held, *d.held)))
        return "the held diagnostic";
    if (bits(s.early.best) != d.early_best || i32(s.early.best_epoch) != d.early_best_epoch || i32(s.early.wait) != d.early_wait)
        return "the early-stopping state";
    if (!same_floats(s.best_params, d.best_params)) return "the best epoch's weights";
    if (bits(s.schedule.rate) != d.rate || bits(s.schedule.best) != d.sched_best || i32(s.schedule.bad_epochs) != d.bad_epochs)
        return "the schedule's state";
    const sn::History& h = s.history;
    if (h.metric != d.metric) return "the History's metric";
    if (h.epochs.size() != d.epochs.size()) return "the History's epoch count";
    for (std::size_t i = 0; i < d.epochs.size(); ++i) {
        const sn::EpochRecord& e = h.epochs[i];
        const decoded::epoch& f = d.epochs[i];
        if (i32(e.epoch) != f.number || bits(e.train_loss) != f.train_loss || bits(e.seconds) != f.seconds ||
            bits(e.samples_per_second) != f.sps || bits(e.learning_rate) != f.lr)
            return "History epoch " + std::to_string(i);
        if (e.val_loss.has_value() != (f.has_val_loss == 1) || (e.val_loss && bits(*e.val_loss) != f.val_loss) ||
            e.val_metric.has_value() != (f.has_val_metric == 1) || (e.val_metric && bits(*e.val_metric) != f.val_metric))
            return "History epoch " + std::to_string(i) + "'s validation figures";
    }
    if (h.diagnostics.size() != d.diagnostics.size()) return "the History's diagnostic count";
    for (std::size_t i = 0; i < d.diagnostics.size(); ++i)
        if (!same_diag(h.diagnostics[i], d.diagnostics[i])) return "History diagnostic " + std::to_string(i);
    if (static_cast<std::uint64_t>(h.stop) != d.stop || h.stop_message != d.stop_message || i32(h.best_epoch) != d.best_epoch)
        return "the History's stop or best epoch";
    return "";
}

// The fingerprint and architecture record (offsets 12 to 32 + 16 L) of a checkpoint that
// write_checkpoint writes for net's model: what a file that loads for it must hold there.
sanenet_fuzz::bytes expected_header(const sn::detail::model& m) {
    sn::detail::run_state s{};  // {}: the shuffling stream's state has no initializers
    s.snapshot.params.resize(m.parameter_count());
    s.snapshot.state1.resize(m.parameter_count());
    sn::detail::write_checkpoint(rewrite_path(), m, s);
    const auto b = sanenet_fuzz::read_whole(rewrite_path());
    return sanenet_fuzz::bytes(b.begin() + 12, b.begin() + 32 + 16 * static_cast<std::ptrdiff_t>(le(b.data() + 28, 4)));
}

void try_read(const sn::detail::model& m, const sanenet_fuzz::bytes& header, const std::filesystem::path& path,
              const std::uint8_t* data, std::size_t size) {
    sn::detail::run_state s{};  // {}: the shuffling stream's state has no initializers
    try {
        s = sn::detail::read_checkpoint(m, path);
    } catch (const sn::error&) {
        return;
    }
    // The frame: magic, version 1, this network's architecture, the state's size, the checksum.
    if (size < 32 + 16 + 8 || std::memcmp(data, "SNCHKPT\x1a", 8) != 0 || le(data + 8, 4) != 1)
        sanenet_fuzz::fail("loaded a file without the checkpoint magic and version 1");
    if (size < 12 + header.size() + 16 || std::memcmp(data + 12, header.data(), header.size()) != 0)
        sanenet_fuzz::fail("loaded a checkpoint of another architecture");
    const std::size_t state_at = 12 + header.size() + 8;
    const std::uint64_t state_size = le(data + state_at - 8, 8);
    if (state_size > size || size != state_at + state_size + 8) sanenet_fuzz::fail("loaded a checkpoint of the wrong size");
    if (fnv1a_64(data, size - 8) != le(data + size - 8, 8)) sanenet_fuzz::fail("loaded a checkpoint whose checksum is wrong");
    // The state, field by field.
    walker w{data + state_at, static_cast<std::size_t>(state_size), true, {}, data + state_at};
    const std::optional<decoded> d = decode(w);
    if (!d) sanenet_fuzz::fail("loaded a state that the layout does not hold");
    if (const std::string field = differs(s, *d); !field.empty())
        sanenet_fuzz::fail("loaded, but " + field + " is not the file's");
    // Written again: the same bytes, but for the values of absent optionals (written as 0) and
    // then the checksum.
    sn::detail::write_checkpoint(rewrite_path(), m, s);
    const auto again = sanenet_fuzz::read_whole(rewrite_path());
    if (again.size() != size) sanenet_fuzz::fail("what write_checkpoint writes for a loaded state has another size");
    sanenet_fuzz::bytes expected(data, data + size);
    bool masked = false;
    for (const std::size_t at : w.absent_at) {
        for (std::size_t i = 0; i < 8; ++i) masked |= expected[state_at + at + i] != 0;
        std::memset(expected.data() + state_at + at, 0, 8);
    }
    if (std::memcmp(again.data(), expected.data(), size - 8) != 0 ||
        (!masked && std::memcmp(again.data() + size - 8, data + size - 8, 8) != 0))
        sanenet_fuzz::fail("accepted a checkpoint that is not what write_checkpoint writes for the state it loaded");
}

}  // namespace

void fuzz_one(const std::uint8_t* data, std::size_t size) {
    static const Small small{sn::Seed{1}};
    static const Reg reg{sn::Seed{1}};
    static const sanenet_fuzz::bytes small_header = expected_header(small.engine());
    static const sanenet_fuzz::bytes reg_header = expected_header(reg.engine());
    const auto& path = sanenet_fuzz::scratch().write(data, size);
    try_read(small.engine(), small_header, path, data, size);
    try_read(reg.engine(), reg_header, path, data, size);
}

void write_seeds(const std::filesystem::path& dir) {
    // Checkpoints as sn::fit writes them (the last epoch's), on tiny data, with the options that
    // fill the state's fields: Adam or SGD with momentum, validation, schedules, early stopping.
    sn::matrix x = sn::matrix::from_shape({std::size_t{24}, std::size_t{4}});
    for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>((i * 7) % 11) / 5.f - 1.f;
    sn::labels y = sn::labels::from_shape({std::size_t{24}});
    for (std::size_t i = 0; i < 24; ++i) y(i) = static_cast<std::int32_t>((i * 5) % 3);
    const auto base = [](int epochs, std::size_t batch) {
        sn::FitOptions o;
        o.epochs = epochs;
        o.batch_size = batch;
        o.progress = false;
        o.threads = 1;
        return o;
    };
    const auto fit = [&](const std::string& name, sn::FitOptions o) {
        Small net{sn::Seed{1}};
        o.checkpoint = sn::Checkpoint{.path = dir / name};
        sn::fit(net, x, y, o);
    };
    fit("small_adam_2_epochs.ckpt", base(2, 8));
    {
        sn::FitOptions o = base(4, 5);
        o.optimizer = sn::SGD{.learning_rate = 0.05f, .momentum = 0.9f};
        o.validation = sn::Validation{x, y};
        o.schedule = sn::ReduceLROnPlateau{.factor = 0.5f, .patience = 1};
        o.early_stopping = sn::EarlyStopping{.patience = 2};
        fit("small_sgd_plateau_early_stopping.ckpt", o);
    }
    {
        sn::FitOptions o = base(3, 6);
        o.optimizer = sn::Adam{.learning_rate = 1e-3f};
        o.validation = sn::Validation{x, y};
        o.schedule = sn::OneCycleLR{.max_lr = 0.01f};
        fit("small_adam_one_cycle_validation.ckpt", o);
    }
    {
        sn::matrix rx = sn::matrix::from_shape({std::size_t{10}, std::size_t{3}});
        sn::matrix ry = sn::matrix::from_shape({std::size_t{10}, std::size_t{2}});
        for (std::size_t i = 0; i < rx.size(); ++i) rx.data()[i] = static_cast<float>((i * 3) % 7) / 3.f - 1.f;
        for (std::size_t i = 0; i < ry.size(); ++i) ry.data()[i] = static_cast<float>((i * 5) % 9) / 4.f - 1.f;
        Reg net{sn::Seed{2}};
        sn::FitOptions o = base(2, 4);
        o.validation = sn::Validation{rx, ry};
        o.checkpoint = sn::Checkpoint{.path = dir / "regression_validation.ckpt"};
        sn::fit(net, rx, ry, o);
    }
    // Hand-made damage: a model file, a magic alone, another version, a real checkpoint cut
    // short, one with a flipped byte in the weights (the checksum then differs).
    Small{sn::Seed{1}}.save(dir / "model_file_not_checkpoint.sanenet");
    sanenet_fuzz::seed(dir, "magic_only", std::string("SNCHKPT\x1a", 8));
    sanenet_fuzz::seed(dir, "version_2", std::string("SNCHKPT\x1a\x02\x00\x00\x00", 12) + std::string(20, '\0'));
    const auto real = sanenet_fuzz::read_whole(dir / "small_adam_2_epochs.ckpt");
    sanenet_fuzz::seed(dir, "truncated.ckpt", sanenet_fuzz::bytes(real.begin(), real.begin() + real.size() / 2));
    auto flipped = real;
    flipped[real.size() / 3] ^= 0x40;
    sanenet_fuzz::seed(dir, "flipped_byte.ckpt", flipped);
}
