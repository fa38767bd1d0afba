// sn::resume and the checkpoint file that sn::fit writes (FitOptions::checkpoint): the whole
// state of a fit between two epochs (train/checkpoint.hpp), so that a resumed fit is
// bit-identical to the uninterrupted one.
//
// Layout, every integer little-endian, every float and double IEEE-754 little-endian:
//   offset 0   8 bytes   magic "SNCHKPT\x1a"
//          8   u32       format version (1)
//         12   u64       architecture fingerprint, as in the model file (io/model_file.hpp)
//         20   12 + 16L  the architecture record, as in the model file
//          .   u64       S, the size of the state
//          .   S bytes   the state, field by field in the order of encode_state
//          .   u64       checksum: FNV-1a 64 over every byte before it
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/targets.hpp>
#include <sanenet/core/xt.hpp>
#include <sanenet/io/file.hpp>
#include <sanenet/io/model_file.hpp>
#include <sanenet/lints/lint.hpp>
#include <sanenet/model/model.hpp>
#include <sanenet/train/checkpoint.hpp>
#include <sanenet/train/fit.hpp>
#include <sanenet/train/history.hpp>
#include <sanenet/train/options.hpp>
#include <sanenet/train/scaled.hpp>

#include <filesystem>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>
#endif

namespace sanenet::inline SANENET_ABI {

namespace detail {

// Writes `s` for m to `path` atomically (the layout above); throws io_error.
SANENET_INLINE void write_checkpoint(const std::filesystem::path& path, const model& m, const run_state& s);

// Reads and checks the checkpoint at `path` for m: the magic, version, sizes, checksum, that
// its architecture is m's, and every field of the state. Every failure is an io_error naming
// the path and what differs; m is not touched.
SANENET_INLINE run_state read_checkpoint(const model& m, const std::filesystem::path& path);

// sn::resume on the model: the checkpoint read, the call's options and data checked against
// the ones it records (argument_error naming the first that differs), then the fit continued.
SANENET_INLINE History resume_model(model& m, const std::filesystem::path& path, const matrix& x, const targets& y,
                                    const FitOptions& o, Waivers net_waivers);

// What sn::fit calls to write a checkpoint (declared in train/fit.hpp).
template <class Unused>
struct checkpoint_io {
    static void write(const std::filesystem::path& path, const model& m, const run_state& s) { write_checkpoint(path, m, s); }
};

}  // namespace detail

// Continues the fit whose checkpoint is at `path` (FitOptions::checkpoint) with the same data
// and options, as if it had never stopped: the result is bit-identical to the uninterrupted fit
// (on as many threads). A fit that had ended returns its History and final weights at once.
// A missing, truncated or corrupted file, or one of another architecture, is an io_error and
// leaves net unchanged; options or data other than the checkpoint's are an argument_error.
// With scalers attached, x, y and the validation data are raw, as for fit, and net must carry
// the scalers the fit was started with (the checkpoint does not hold them). Like fit, a write
// of net: refused while another call uses it, and other calls are refused while it runs.
template <class Net, class Y>
History resume(Net& net, const std::filesystem::path& path, const matrix& x, const Y& y, const FitOptions& options = {}) {
    const detail::write_use use(net.engine(), "resume");
    const detail::scaled_data d(net.engine(), x, detail::targets_for<Net>(y), &options);
    return detail::resume_model(net.engine(), path, d.x(), d.y(), d.options(), Net::waivers);
}

}  // namespace sanenet

#if SANENET_DEFINITIONS
namespace sanenet::inline SANENET_ABI::detail {

namespace checkpoint_format {

inline constexpr char magic[8] = {'S', 'N', 'C', 'H', 'K', 'P', 'T', '\x1a'};
inline constexpr std::uint32_t version = 1;

// The state's fields in order; the reader below mirrors it.
class writer {
public:
    explicit writer(serial::bytes& b) : b_(b) {}
    void u8(unsigned v) { b_.push_back(static_cast<unsigned char>(v)); }
    void u32(std::uint32_t v) { serial::put_u32(b_, v); }
    void i32(int v) { serial::put_u32(b_, static_cast<std::uint32_t>(v)); }
    void u64(std::uint64_t v) { serial::put_u64(b_, v); }
    void f64(double v) { serial::put_u64(b_, std::bit_cast<std::uint64_t>(v)); }
    void str(const std::string& s) {
        u64(s.size());
        serial::put_raw(b_, s.data(), s.size());
    }
    void floats(const float* p, std::size_t n) {
        u64(n);
        serial::put_floats(b_, p, n);
    }
    void optional(const std::optional<double>& v) {
        u8(v.has_value());
        f64(v.value_or(0.0));
    }

private:
    serial::bytes& b_;
};

class reader {
public:
    reader(const unsigned char* p, std::size_t n, std::string fail) : p_(p), end_(p + n), fail_(std::move(fail)) {}
    const unsigned char* take(std::size_t n, const char* what) {
        if (static_cast<std::size_t>(end_ - p_) < n)
            throw io_error(fail_ + "corrupted state: it ends inside " + what + " (" + std::to_string(n) + " bytes wanted, " +
                           std::to_string(end_ - p_) + " left)");
        const unsigned char* at = p_;
        p_ += n;
        return at;
    }
    unsigned u8(const char* what) { return *take(1, what); }
    bool flag(const char* what) {
        const unsigned v = u8(what);
        if (v > 1) bad(what, std::to_string(v), "0 or 1");
        return v == 1;
    }
    std::uint32_t u32(const char* what) { return serial::get_u32(take(4, what)); }
    int i32(const char* what) { return static_cast<int>(u32(what)); }
    std::uint64_t u64(const char* what) { return serial::get_u64(take(8, what)); }
    double f64(const char* what) { return std::bit_cast<double>(u64(what)); }
    std::string str(const char* what) {
        const std::uint64_t n = u64(what);
        if (n > left()) bad(what, "a length of " + std::to_string(n), "at most the " + std::to_string(left()) + " bytes left");
        const unsigned char* at = take(static_cast<std::size_t>(n), what);
        return std::string(reinterpret_cast<const char*>(at), static_cast<std::size_t>(n));
    }
    // A float array of `expected` values (or, when allow_empty, none).
    template <class Buffer>
    void floats(Buffer& out, std::size_t expected, bool allow_empty, const char* what) {
        const std::uint64_t n = u64(what);
        if (n != expected && !(allow_empty && n == 0))
            bad(what, std::to_string(n) + " values", std::to_string(expected) + (allow_empty ? " or none" : ""));
        out.resize(static_cast<std::size_t>(n));
        serial::get_floats(take(static_cast<std::size_t>(4 * n), what), out.data(), static_cast<std::size_t>(n));
    }
    std::optional<double> optional(const char* what) {
        const bool has = flag(what);
        const double v = f64(what);
        return has ? std::optional<double>(v) : std::nullopt;
    }
    std::size_t left() const { return static_cast<std::size_t>(end_ - p_); }
    [[noreturn]] void bad(const char* what, const std::string& found, const std::string& expected) const {
        throw io_error(fail_ + "corrupted state: " + what + " is " + found + ", expected " + expected);
    }

private:
    const unsigned char* p_;
    const unsigned char* end_;
    std::string fail_;
};

inline void encode_state(writer& w, const run_state& s) {
    w.i32(s.epochs_done);
    w.u8(s.finished);
    w.u64(s.run.size());
    for (const auto& [name, value] : s.run) {
        w.str(name);
        w.str(value);
    }
    w.floats(s.snapshot.params.data(), s.snapshot.params.size());
    w.floats(s.snapshot.state1.data(), s.snapshot.state1.size());
    w.floats(s.snapshot.state2.data(), s.snapshot.state2.size());
    w.u64(s.snapshot.updates);
    w.u64(s.snapshot.step);
    w.u64(s.order.order.size());
    for (const std::size_t i : s.order.order) w.u64(i);
    for (const std::uint64_t v : s.order.rng.s) w.u64(v);
    w.f64(s.order.rng.spare);
    w.u8(s.order.rng.has_spare);
    w.i32(s.watch.steps);
    for (const double v : {s.watch.avg, s.watch.smoothed, s.watch.first, s.watch.minimum}) w.f64(v);
    w.u64(s.monitor.total_steps);
    w.f64(s.monitor.best_val);
    w.f64(s.monitor.train_at_best);
    w.i32(s.monitor.overfit_run);
    const auto diagnostic = [&](const Diagnostic& d) {
        w.str(d.id);
        w.u8(static_cast<unsigned>(d.severity));
        w.str(d.message);
        w.str(d.evidence);
    };
    w.u8(s.monitor.held.has_value());
    if (s.monitor.held) diagnostic(*s.monitor.held);
    w.f64(s.early.best);
    w.i32(s.early.best_epoch);
    w.i32(s.early.wait);
    w.floats(s.best_params.data(), s.best_params.size());
    w.f64(s.schedule.rate);
    w.f64(s.schedule.best);
    w.i32(s.schedule.bad_epochs);
    const History& h = s.history;
    w.str(h.metric);
    w.u64(h.epochs.size());
    for (const EpochRecord& e : h.epochs) {
        w.i32(e.epoch);
        w.f64(e.train_loss);
        w.optional(e.val_loss);
        w.optional(e.val_metric);
        w.f64(e.seconds);
        w.f64(e.samples_per_second);
        w.f64(e.learning_rate);
    }
    w.u64(h.diagnostics.size());
    for (const Diagnostic& d : h.diagnostics) diagnostic(d);
    w.u8(static_cast<unsigned>(h.stop));
    w.str(h.stop_message);
    w.i32(h.best_epoch);
}

inline run_state decode_state(reader& r, const model& m) {
    const std::size_t n = m.parameter_count();
    run_state s;
    s.epochs_done = r.i32("the epoch count");
    if (s.epochs_done < 0) r.bad("the epoch count", std::to_string(s.epochs_done), ">= 0");
    s.finished = r.flag("the finished flag");
    const std::uint64_t entries = r.u64("the run record");
    if (entries > r.left() / 16) r.bad("the run record", std::to_string(entries) + " entries", "fewer");
    for (std::uint64_t i = 0; i < entries; ++i) {
        std::string name = r.str("a run record name");
        s.run.emplace_back(std::move(name), r.str("a run record value"));
    }
    r.floats(s.snapshot.params, n, false, "the weights");
    r.floats(s.snapshot.state1, n, false, "the optimizer's first state");
    r.floats(s.snapshot.state2, n, true, "the optimizer's second state");
    s.snapshot.updates = r.u64("the update count");
    s.snapshot.step = r.u64("the step count");
    const std::uint64_t samples = r.u64("the sample order");
    if (samples > r.left() / 8) r.bad("the sample order", std::to_string(samples) + " samples", "fewer");
    s.order.order.resize(static_cast<std::size_t>(samples));
    std::vector<bool> seen(static_cast<std::size_t>(samples), false);
    for (std::size_t& i : s.order.order) {
        const std::uint64_t v = r.u64("the sample order");
        if (v >= samples || seen[static_cast<std::size_t>(v)])
            r.bad("the sample order", "not a permutation of 0.." + std::to_string(samples - 1), "one");
        seen[static_cast<std::size_t>(v)] = true;
        i = static_cast<std::size_t>(v);
    }
    for (std::uint64_t& v : s.order.rng.s) v = r.u64("the shuffling stream");
    s.order.rng.spare = r.f64("the shuffling stream");
    s.order.rng.has_spare = r.flag("the shuffling stream");
    s.watch.steps = r.i32("the divergence watch");
    for (double* v : {&s.watch.avg, &s.watch.smoothed, &s.watch.first, &s.watch.minimum}) *v = r.f64("the divergence watch");
    s.monitor.total_steps = r.u64("the monitors' state");
    s.monitor.best_val = r.f64("the monitors' state");
    s.monitor.train_at_best = r.f64("the monitors' state");
    s.monitor.overfit_run = r.i32("the monitors' state");
    const auto diagnostic = [&](const char* what) {
        Diagnostic d;
        d.id = r.str(what);
        const unsigned severity = r.u8(what);
        if (severity > static_cast<unsigned>(Severity::error)) r.bad(what, "severity " + std::to_string(severity), "0 to 2");
        d.severity = static_cast<Severity>(severity);
        d.message = r.str(what);
        d.evidence = r.str(what);
        return d;
    };
    if (r.flag("the monitors' state")) s.monitor.held = diagnostic("the monitors' state");
    s.early.best = r.f64("the early-stopping state");
    s.early.best_epoch = r.i32("the early-stopping state");
    s.early.wait = r.i32("the early-stopping state");
    r.floats(s.best_params, n, true, "the best epoch's weights");
    s.schedule.rate = r.f64("the schedule's state");
    s.schedule.best = r.f64("the schedule's state");
    s.schedule.bad_epochs = r.i32("the schedule's state");
    History& h = s.history;
    h.metric = r.str("the History");
    const std::uint64_t epochs = r.u64("the History");
    if (epochs != static_cast<std::uint64_t>(s.epochs_done))
        r.bad("the History", std::to_string(epochs) + " epochs", std::to_string(s.epochs_done));
    for (std::uint64_t i = 0; i < epochs; ++i) {
        EpochRecord e;
        e.epoch = r.i32("the History");
        e.train_loss = r.f64("the History");
        e.val_loss = r.optional("the History");
        e.val_metric = r.optional("the History");
        e.seconds = r.f64("the History");
        e.samples_per_second = r.f64("the History");
        e.learning_rate = r.f64("the History");
        h.epochs.push_back(e);
    }
    const std::uint64_t found = r.u64("the History's diagnostics");
    if (found > r.left() / 16) r.bad("the History's diagnostics", std::to_string(found), "fewer");
    for (std::uint64_t i = 0; i < found; ++i) h.diagnostics.push_back(diagnostic("the History's diagnostics"));
    const unsigned stop = r.u8("the History");
    if (stop > static_cast<unsigned>(StopReason::early_stopped)) r.bad("the stop reason", std::to_string(stop), "0 to 2");
    h.stop = static_cast<StopReason>(stop);
    h.stop_message = r.str("the History");
    h.best_epoch = r.i32("the History");
    if (h.best_epoch < 0 || h.best_epoch > s.epochs_done)
        r.bad("the best epoch", std::to_string(h.best_epoch), "0 to " + std::to_string(s.epochs_done));
    if (r.left()) r.bad("the state", std::to_string(r.left()) + " bytes longer", "no more");
    return s;
}

}  // namespace checkpoint_format

SANENET_INLINE void write_checkpoint(const std::filesystem::path& path, const model& m, const run_state& s) {
    using namespace serial;
    const bytes record = architecture_record(m.task(), weight_layers(m.specs()));
    bytes state;
    checkpoint_format::writer w(state);
    checkpoint_format::encode_state(w, s);
    bytes b;
    b.reserve(20 + record.size() + 8 + state.size() + 8);
    put_raw(b, checkpoint_format::magic, sizeof checkpoint_format::magic);
    put_u32(b, checkpoint_format::version);
    put_u64(b, fingerprint(record));
    put_raw(b, record.data(), record.size());
    put_u64(b, state.size());
    put_raw(b, state.data(), state.size());
    put_u64(b, fnv1a(b.data(), b.size()));
    write_file_atomically(path, b, "write checkpoint");
}

SANENET_INLINE run_state read_checkpoint(const model& m, const std::filesystem::path& path) {
    using namespace serial;
    const bytes b = read_file(path, "checkpoint");
    const std::string fail = "cannot resume from " + quoted(path) + ": ";
    const std::size_t size = b.size();
    if (size == 0) throw io_error(fail + "the file is empty (0 bytes), not a sanenet checkpoint");
    const std::size_t head = std::min(size, sizeof checkpoint_format::magic);
    if (std::memcmp(b.data(), checkpoint_format::magic, head) != 0) {
        if (size >= sizeof magic && std::memcmp(b.data(), magic, sizeof magic) == 0)
            throw io_error(fail + "it is a model file (Network::save), not a checkpoint (FitOptions::checkpoint)");
        std::string seen;
        for (std::size_t i = 0; i < head; ++i) {
            const unsigned char c = b[i];
            seen += c >= 0x20 && c < 0x7f && c != '\\' ? std::string(1, static_cast<char>(c)) : "\\x" + hex_byte(c).substr(2);
        }
        throw io_error(fail + "not a sanenet checkpoint (magic \"" + seen + "\", expected \"SNCHKPT\\x1a\")");
    }
    const auto truncated = [&](std::size_t expected) {
        return io_error(fail + "truncated: expected at least " + std::to_string(expected) + " bytes, the file has " +
                        std::to_string(size));
    };
    if (size < fixed_header) throw truncated(fixed_header);
    const std::uint32_t version = get_u32(b.data() + 8);
    if (version != checkpoint_format::version)
        throw io_error(fail + "checkpoint format version " + std::to_string(version) + ", this build reads " +
                       std::to_string(checkpoint_format::version));
    const std::uint64_t layers_in_file = get_u32(b.data() + 28);
    if (layers_in_file > size / record_size)
        throw truncated(static_cast<std::size_t>(fixed_header + record_size * layers_in_file));
    const std::size_t state_size_at = static_cast<std::size_t>(fixed_header + record_size * layers_in_file);
    if (size < state_size_at + 16) throw truncated(state_size_at + 16);
    const std::uint64_t state_size = get_u64(b.data() + state_size_at);
    if (state_size > size - state_size_at - 16) {
        if (fnv1a(b.data(), size - 8) == get_u64(b.data() + size - 8))
            throw io_error(fail + "corrupted header: the state size " + std::to_string(state_size) + " exceeds the file");
        throw truncated(static_cast<std::size_t>(
            std::min<std::uint64_t>(state_size + state_size_at + 16, std::numeric_limits<std::size_t>::max())));
    }
    const std::size_t expected = state_size_at + 8 + static_cast<std::size_t>(state_size) + 8;
    if (size > expected)
        throw io_error(fail + "expected " + std::to_string(expected) + " bytes, the file has " + std::to_string(size) +
                       " (trailing data: corrupted or not written by sn::fit)");
    if (fnv1a(b.data(), size - 8) != get_u64(b.data() + size - 8)) throw io_error(fail + "checksum mismatch (file corrupted)");

    task_spec file_task{};
    std::vector<layer_spec> file_layers;
    if (const std::string bad = decode_record(b.data() + 20, file_task, file_layers); !bad.empty())
        throw io_error(fail + "corrupted architecture record (" + bad + ")");
    const std::uint64_t stored_fingerprint = get_u64(b.data() + 12);
    if (fingerprint(architecture_record(file_task, file_layers)) != stored_fingerprint)
        throw io_error(fail + "corrupted header: the architecture record does not match its fingerprint");
    const std::vector<layer_spec> net_layers = weight_layers(m.specs());
    if (fingerprint(architecture_record(m.task(), net_layers)) != stored_fingerprint)
        throw io_error(fail + architecture_difference(file_task, file_layers, m.task(), net_layers));

    checkpoint_format::reader r(b.data() + state_size_at + 8, static_cast<std::size_t>(state_size), fail);
    run_state s = checkpoint_format::decode_state(r, m);
    if (const std::string bad = first_non_finite(m, s.snapshot.params.data(), s.snapshot.params.size()); !bad.empty())
        throw io_error(fail + "corrupted state: " + bad);
    return s;
}

SANENET_INLINE History resume_model(model& m, const std::filesystem::path& path, const matrix& x, const targets& y,
                                    const FitOptions& o, Waivers net_waivers) {
    check_shapes({m.task(), m.input_size(), m.output_size()}, x, y, "x");
    const run_state s = read_checkpoint(m, path);
    if (const std::string differs = run_difference(s.run, record_run(m, o, x, y)); !differs.empty())
        throw argument_error("cannot resume from " + quoted(path) + ": " + differs +
                             "; sn::resume continues a fit with the options and data it was started with");
    if (s.order.order.size() != x.shape()[0])
        throw io_error("cannot resume from " + quoted(path) + ": corrupted state: the sample order holds " +
                       std::to_string(s.order.order.size()) + " samples, the data " + std::to_string(x.shape()[0]));
    return fit_model(m, x, y, o, net_waivers, fit_hooks{&write_checkpoint, &s});
}

}  // namespace sanenet::detail
#endif  // SANENET_DEFINITIONS
