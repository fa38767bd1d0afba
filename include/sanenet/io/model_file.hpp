// Network::save / Network::load and sn::load_any's reader: the binary model file.
//
// Layout, every integer little-endian, every float IEEE-754 binary32 little-endian:
//   offset 0   8 bytes   magic "SANENET\x1a"
//          8   u32       format version (2, or 3 for a reduced-precision model; version 1 files, which
//                        end after the parameters, still load)
//         12   u64       architecture fingerprint: FNV-1a 64 over bytes 20 .. 32+16L (the record below)
//         20   u32       task kind (0 regression, 1 classification, 2 multilabel)
//         24   u32       task outputs (0 = any, for regression)
//         28   u32       L, the number of weight-relevant layers (every kind but Dropout and GaussianNoise)
//         32   16 x L    per layer: u8 kind, u8 activation, u16 zero, u32 in, u32 out, f32 constant
//                        (activation constant; 0 for the other kinds); the codes of core/spec.hpp
//   32+16L     u64       N, the parameter count
//   40+16L     4 x N     the parameters, layer by layer: Dense W (in x out, row-major) then b (out);
//                        LayerNorm gain (width) then bias (width)
// Version 2 goes on at P = 40+16L+4N (version 1 has the checksum there):
//          P   u32       S, the number of layers of the network type, Dropout and GaussianNoise included
//        P+4   16 x S    per layer: u8 kind, u8 activation, u8 initializer, u8 zero, u32 in, u32 out,
//                        f32 constant (the layer_spec: activation constant, Dropout keep, noise stddev,
//                        Constant<V>'s V, else 0); without Dropout and GaussianNoise, and with the
//                        initializer and the non-activation constants cleared, it is the L records above
//   P+4+16S    u32       the network type's waivers (sn::Allow<...>): bit b is the lint tag of bit b
//                        (lints/lint.hpp)
//              u32       I, the input scaler's width (0: none; else the Input's width), then I f32
//                        means and I f32 scales (Network::attach_input_scaler)
//              u32       T, the target scaler's width (0: none; else the outputs, Regression only), then
//                        T f32 means and T f32 scales (Network::attach_target_scaler)
// Version 3 (a QuantizedNetwork's save: a model for inference only) goes on after the target scaler:
//              u32       the precision of the Dense weights (1: bf16; sn::Precision). Each weight is stored
//                        as the f32 of its bf16 value (low 16 bits zero), so the layout above is unchanged.
//                        fp32 models are written as version 2, byte for byte as before.
//   end - 8    u64       checksum: FNV-1a 64 over every byte before it
// The fingerprint covers the L records only: weights trained with dropout load into the same
// network without it, and a file of either version into any network with the same records.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/spec.hpp>
#include <sanenet/core/format.hpp>
#include <sanenet/io/file.hpp>
#include <sanenet/lints/lint.hpp>
#include <sanenet/model/model.hpp>
#include <sanenet/model/quantized.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>
#if SANENET_DEFINITIONS
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#endif

namespace sanenet::inline SANENET_ABI::detail {

namespace serial {

inline constexpr char magic[8] = {'S', 'A', 'N', 'E', 'N', 'E', 'T', '\x1a'};
inline constexpr std::uint32_t format_version = 2;
inline constexpr std::uint32_t quantized_version = 3;  // a reduced-precision model (the precision field)
inline constexpr std::size_t fixed_header = 32;  // magic .. L
inline constexpr std::size_t record_size = 16;

using bytes = std::vector<unsigned char>;

}  // namespace serial

// A model file as read and checked by read_model_file, before it meets a network.
struct model_file_content {
    std::uint32_t version = 0;
    task_spec task{};
    std::vector<layer_spec> record;  // the L weight-relevant layers
    std::uint64_t fingerprint = 0;  // as stored, checked against the record
    std::vector<layer_spec> layers;  // version 2: the S layers of the network type; version 1: empty
    std::uint32_t waivers = 0;  // version 2: the network type's waiver bits
    std::vector<float> params;  // N values, not yet checked for finiteness
    scaler input, target;  // checked: the record's widths, finite means, finite scales > 0
    Precision precision = Precision::fp32;  // version 3: the weights' precision
};

// Writes m's architecture, parameters and scalers to `path` atomically (the layout above, the
// current version); refuses non-finite parameters, which load would refuse. waiver_bits: the
// network type's waivers, recorded for sn::load_any.
// precision: the format of m's weights (bf16: every Dense weight a bf16 value, written as version 3).
SANENET_INLINE void save_model(const model& m, const std::filesystem::path& path, std::uint32_t waiver_bits,
                               Precision precision = Precision::fp32);

// Reads `path` and checks everything that needs no network: magic, version, sizes, checksum,
// the record against its fingerprint and the parameter count, and (version 2) the layer list
// against the record, the waivers and the scalers. Every failure is an io_error naming the path.
// fit_for (Network::load): the network the file is for; a file more than twice the largest
// file of that network + 1 MiB cannot be loaded into it, so no more of it than that is read
// (docs/reliability.md, "Hostile sizes"). Without it (load_any) the whole file is read, after
// its size on disk is checked against its header.
SANENET_INLINE model_file_content read_model_file(const std::filesystem::path& path, const model* fit_for = nullptr);

// Reads `path` into m's parameters and scalers (none in the file: none on m) after checking the
// file (read_model_file) and that its architecture is m's; every failure is an io_error naming
// the path and leaves m unchanged.
SANENET_INLINE void load_model(model& m, const std::filesystem::path& path);

// What Network::save and Network::load call (declared in network/network.hpp).
template <class Path>
struct model_file {
    static void save(const model& m, const Path& path, std::uint32_t waiver_bits) { save_model(m, path, waiver_bits); }
    static void load(model& m, const Path& path) { load_model(m, path); }
};

#if SANENET_DEFINITIONS
namespace serial {

SANENET_INLINE std::uint64_t fnv1a(const unsigned char* p, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ull) {
    for (std::size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

// Explicit byte order, so a file written on any host reads the same on any other.
// (resize + memcpy rather than vector::insert, which trips g++ 12's -Wstringop-overflow.)
SANENET_INLINE void put_raw(bytes& b, const void* p, std::size_t n) {
    const std::size_t at = b.size();
    b.resize(at + n);
    if (n) std::memcpy(b.data() + at, p, n);
}
SANENET_INLINE void put_u32(bytes& b, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
SANENET_INLINE void put_u64(bytes& b, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
}
SANENET_INLINE std::uint32_t get_u32(const unsigned char* p) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(p[i]) << (8 * i);
    return v;
}
SANENET_INLINE std::uint64_t get_u64(const unsigned char* p) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
    return v;
}

SANENET_INLINE void put_floats(bytes& b, const float* x, std::size_t n) {
    const std::size_t at = b.size();
    b.resize(at + 4 * n);
    if constexpr (std::endian::native == std::endian::little) {
        if (n) std::memcpy(b.data() + at, x, 4 * n);
    } else {
        for (std::size_t i = 0; i < n; ++i) {
            const auto v = std::bit_cast<std::uint32_t>(x[i]);
            for (int k = 0; k < 4; ++k) b[at + 4 * i + static_cast<std::size_t>(k)] = static_cast<unsigned char>(v >> (8 * k));
        }
    }
}
SANENET_INLINE void get_floats(const unsigned char* p, float* x, std::size_t n) {
    if constexpr (std::endian::native == std::endian::little) {
        if (n) std::memcpy(x, p, 4 * n);
    } else {
        for (std::size_t i = 0; i < n; ++i) x[i] = std::bit_cast<float>(get_u32(p + 4 * i));
    }
}

// The weight-relevant layers of a network as they are recorded: Dropout/GaussianNoise
// dropped, the initializer and its constant cleared.
SANENET_INLINE std::vector<layer_spec> weight_layers(std::span<const layer_spec> specs) {
    std::vector<layer_spec> out;
    for (const layer_spec& s : specs) {
        if (is_regularizer(s.k)) continue;
        layer_spec r{};
        r.k = s.k;
        r.in = s.in;
        r.out = s.out;
        if (s.k == kind::activation) {
            r.a = s.a;
            r.param = s.param;
        }
        out.push_back(r);
    }
    return out;
}

// The architecture record (bytes 20 .. 32+16L); its FNV-1a is the fingerprint.
SANENET_INLINE bytes architecture_record(task_spec task, const std::vector<layer_spec>& layers) {
    bytes b;
    put_u32(b, static_cast<std::uint32_t>(task.k));
    put_u32(b, static_cast<std::uint32_t>(task.outputs));
    put_u32(b, static_cast<std::uint32_t>(layers.size()));
    for (const layer_spec& s : layers) {
        b.push_back(static_cast<unsigned char>(s.k));
        b.push_back(static_cast<unsigned char>(s.a));
        b.push_back(0);
        b.push_back(0);
        put_u32(b, static_cast<std::uint32_t>(s.in));
        put_u32(b, static_cast<std::uint32_t>(s.out));
        put_u32(b, std::bit_cast<std::uint32_t>(s.param));
    }
    return b;
}

SANENET_INLINE std::uint64_t fingerprint(const bytes& record) { return fnv1a(record.data(), record.size()); }

// Where parameter `index` lives, e.g. "dense0 weight, input 2, unit 3" or "layernorm0 bias, unit 4".
SANENET_INLINE std::string parameter_place(const model& m, std::size_t index) {
    std::string place = "unplaced";
    std::size_t ordinal[kind_count] = {};
    for (const stage& st : m.stages()) {
        const char* stem = visit_kind(st.k, [&]<kind K>() { return layer_ops<K>::stem; });
        if (!stem) continue;
        const std::string name = stem + std::to_string(ordinal[static_cast<unsigned>(st.k)]++);
        visit_kind(st.k, [&]<kind K>() {
            layer_ops<K>::tensors(m.specs()[st.spec], st, [&](const tensor& t) {
                if (index < t.offset || index >= t.offset + t.size()) return;
                const std::size_t i = index - t.offset;
                place = name + " " + t.name +
                        (t.cols ? ", input " + std::to_string(i / t.cols) + ", unit " + std::to_string(i % t.cols)
                                : ", unit " + std::to_string(i));
            });
        });
    }
    return place;
}

// Empty when every value is finite, otherwise e.g. "parameter 123 (dense0 weight, ...) is NaN".
SANENET_INLINE std::string first_non_finite(const model& m, const float* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        if (std::isfinite(p[i])) continue;
        const char* what = std::isnan(p[i]) ? "NaN" : p[i] > 0 ? "+Inf" : "-Inf";
        return "parameter " + std::to_string(i) + " (" + parameter_place(m, i) + ") is " + what;
    }
    return {};
}

// ---- architecture descriptions for the mismatch message ----

// A Dense with the activation fused after it, an Input, or a lone activation.
struct layer_group {
    layer_spec main;
    bool has_act = false;
    layer_spec activation{};
};

SANENET_INLINE std::vector<layer_group> group_layers(const std::vector<layer_spec>& layers) {
    std::vector<layer_group> g;
    for (const layer_spec& s : layers) {
        if (s.k == kind::activation && !g.empty() && g.back().main.k == kind::dense && !g.back().has_act) {
            g.back().has_act = true;
            g.back().activation = s;
        } else {
            g.push_back({s, false, {}});
        }
    }
    return g;
}

SANENET_INLINE bool same_layer(const layer_spec& a, const layer_spec& b) {
    return a.k == b.k && a.in == b.in && a.out == b.out && a.a == b.a &&
           std::bit_cast<std::uint32_t>(a.param) == std::bit_cast<std::uint32_t>(b.param);
}
SANENET_INLINE bool same_group(const layer_group& a, const layer_group& b) {
    return same_layer(a.main, b.main) && a.has_act == b.has_act && (!a.has_act || same_layer(a.activation, b.activation));
}

// "Dense<128> ReLU" in the overview line.
SANENET_INLINE std::string group_name(const layer_group& g) {
    return layer_name(g.main) + (g.has_act ? std::string(" ") + layer_name(g.activation) : "");
}
// "Dense 784->128 ReLU" in the difference.
SANENET_INLINE std::string group_detail(const layer_group& g) {
    std::string s;
    switch (g.main.k) {
        case kind::input: s = "Input " + std::to_string(g.main.out); break;
        case kind::dense: s = "Dense " + std::to_string(g.main.in) + "->" + std::to_string(g.main.out); break;
        default: s = layer_name(g.main) + " on " + std::to_string(g.main.out) + " units"; break;
    }
    if (g.has_act) s += " " + layer_name(g.activation);
    return s;
}

SANENET_INLINE std::string describe(task_spec task, const std::vector<layer_group>& groups) {
    std::string s = task_name(task) + ":";
    for (std::size_t i = 0; i < groups.size(); ++i) s += (i ? ", " : " ") + group_name(groups[i]);
    return s;
}

SANENET_INLINE std::string architecture_difference(task_spec file_task, const std::vector<layer_spec>& file_layers,
                                                   task_spec net_task, const std::vector<layer_spec>& net_layers) {
    const auto fg = group_layers(file_layers), ng = group_layers(net_layers);
    std::string s = "the file holds " + describe(file_task, fg) + "; this network is " + describe(net_task, ng) + ": ";
    const std::size_t common = std::min(fg.size(), ng.size());
    for (std::size_t i = 0; i < common; ++i)
        if (!same_group(fg[i], ng[i]))
            return s + "layer " + std::to_string(i) + " differs: file " + group_detail(fg[i]) + ", network " +
                   group_detail(ng[i]);
    if (fg.size() != ng.size()) {
        const bool file_longer = fg.size() > ng.size();
        const layer_group& extra = file_longer ? fg[common] : ng[common];
        return s + "the file has " + std::to_string(fg.size()) + " layers, the network " + std::to_string(ng.size()) +
               ": layer " + std::to_string(common) + " (" + group_detail(extra) + ") is only in the " +
               (file_longer ? "file" : "network");
    }
    return s + "the task differs: file " + task_name(file_task) + ", network " + task_name(net_task);
}

inline constexpr unsigned init_count = static_cast<unsigned>(init::constant) + 1;

// Decodes count layer records at p (after the checksum passed); empty string on success, else
// what is wrong. Version 1's records hold no regularizer and no initializer.
SANENET_INLINE std::string decode_layers(const unsigned char* p, std::uint32_t count, std::uint32_t version,
                                         std::vector<layer_spec>& layers) {
    layers.clear();
    for (std::uint32_t i = 0; i < count; ++i) {
        const unsigned char* r = p + record_size * i;
        const std::string where =
            version == 1 ? "layer record " + std::to_string(i) + ": " : "layer " + std::to_string(i) + " of the layer list: ";
        if (r[0] >= kind_count || (version == 1 && is_regularizer(static_cast<kind>(r[0]))))
            return where + "unknown layer kind " + std::to_string(r[0]);
        if (r[1] >= act_count) return where + "unknown activation " + std::to_string(r[1]);
        if (version > 1 && r[2] >= init_count) return where + "unknown initializer " + std::to_string(r[2]);
        layer_spec s{};
        s.k = static_cast<kind>(r[0]);
        s.a = static_cast<act>(r[1]);
        if (version > 1) s.i = static_cast<init>(r[2]);
        const std::uint32_t in = get_u32(r + 4), out = get_u32(r + 8);
        if (in > 0x7fffffffu || out > 0x7fffffffu) return where + "impossible width";
        s.in = static_cast<int>(in);
        s.out = static_cast<int>(out);
        s.param = std::bit_cast<float>(get_u32(r + 12));
        layers.push_back(s);
    }
    return {};
}

// Decodes a record after the checksum passed; empty string on success, else what is wrong.
SANENET_INLINE std::string decode_record(const unsigned char* p, task_spec& task, std::vector<layer_spec>& layers) {
    const std::uint32_t tk = get_u32(p), outputs = get_u32(p + 4), count = get_u32(p + 8);
    if (tk > static_cast<std::uint32_t>(task_kind::multilabel)) return "unknown task kind " + std::to_string(tk);
    if (outputs > 0x7fffffffu) return "impossible task output count " + std::to_string(outputs);
    task = {static_cast<task_kind>(tk), static_cast<int>(outputs)};
    return decode_layers(p + 12, count, 1, layers);
}

// Version 2's layer list: every layer of the network type as its layer_spec.
SANENET_INLINE void put_layers(bytes& b, std::span<const layer_spec> specs) {
    put_u32(b, static_cast<std::uint32_t>(specs.size()));
    for (const layer_spec& s : specs) {
        b.push_back(static_cast<unsigned char>(s.k));
        b.push_back(static_cast<unsigned char>(s.a));
        b.push_back(static_cast<unsigned char>(s.i));
        b.push_back(0);
        put_u32(b, static_cast<std::uint32_t>(s.in));
        put_u32(b, static_cast<std::uint32_t>(s.out));
        put_u32(b, std::bit_cast<std::uint32_t>(s.param));
    }
}

SANENET_INLINE void put_scaler(bytes& b, const scaler& s) {
    put_u32(b, static_cast<std::uint32_t>(s.size()));
    put_floats(b, s.mean.data(), s.size());
    put_floats(b, s.scale.data(), s.size());
}

// The output width of a record: its last Dense's (0 without one).
SANENET_INLINE int record_outputs(const std::vector<layer_spec>& record) {
    for (std::size_t i = record.size(); i-- > 0;)
        if (record[i].k == kind::dense) return record[i].out;
    return 0;
}

// Empty when the scaler fits `width` and its values are usable, otherwise what is wrong.
SANENET_INLINE std::string scaler_problem(const scaler& s, const char* side, int width) {
    if (s.empty()) return {};
    if (s.size() != static_cast<std::size_t>(width))
        return std::string("the ") + side + " scaler has " + std::to_string(s.size()) + " features, the network's " + side +
               " has " + std::to_string(width);
    for (std::size_t c = 0; c < s.size(); ++c)
        if (!std::isfinite(s.mean[c]) || !std::isfinite(s.scale[c]) || !(s.scale[c] > 0.f))
            return std::string("the ") + side + " scaler's feature " + std::to_string(c) + " has mean " +
                   format_number(s.mean[c]) + " and scale " + format_number(s.scale[c]) +
                   ", expected a finite mean and a finite scale > 0";
    return {};
}

}  // namespace serial

SANENET_INLINE void save_model(const model& m, const std::filesystem::path& path, std::uint32_t waiver_bits,
                               Precision precision) {
    using namespace serial;
    const std::size_t n = m.parameter_count();
    if (const std::string bad = first_non_finite(m, m.params(), n); !bad.empty())
        throw io_error("refusing to save " + quoted(path) + ": " + bad + " (a file that load would refuse)");
    if (precision != Precision::fp32)
        if (const std::string bad = first_non_bf16(m); !bad.empty())
            throw io_error("refusing to save " + quoted(path) + " as " + precision_name(precision) + ": " + bad);
    const bytes record = architecture_record(m.task(), weight_layers(m.specs()));
    bytes b;
    b.reserve(fixed_header - 12 + record.size() + 8 + 4 * n + 16 * m.specs().size() + 8 * m.max_width() + 32);
    put_raw(b, magic, sizeof magic);
    put_u32(b, precision == Precision::fp32 ? format_version : quantized_version);
    put_u64(b, fingerprint(record));
    put_raw(b, record.data(), record.size());
    put_u64(b, static_cast<std::uint64_t>(n));
    put_floats(b, m.params(), n);
    put_layers(b, m.specs());
    put_u32(b, waiver_bits);
    put_scaler(b, m.input_scaler());
    put_scaler(b, m.target_scaler());
    if (precision != Precision::fp32) put_u32(b, static_cast<std::uint32_t>(precision));
    put_u64(b, fnv1a(b.data(), b.size()));
    write_file_atomically(path, b, "save");
}

SANENET_INLINE model_file_content read_model_file(const std::filesystem::path& path, const model* fit_for) {
    using namespace serial;
    // The largest file of fit_for (both scalers attached) is `own` bytes; at most twice that
    // + 1 MiB (room for another architecture's record) is read, so a hostile size costs no memory.
    std::size_t own = 0, bound = std::numeric_limits<std::size_t>::max();
    if (fit_for) {
        own = fixed_header + record_size * weight_layers(fit_for->specs()).size() + 8 + 4 * fit_for->parameter_count() + 4 +
              record_size * fit_for->specs().size() + 4 + 2 * (4 + 8 * static_cast<std::size_t>(fit_for->max_width())) + 8;
        bound = 2 * own + (std::size_t{1} << 20);
    }
    std::uint64_t on_disk = 0;
    const bytes b = read_file_head(path, "model file", fit_for ? bound + 1 : bound, on_disk);
    const std::string fail = "cannot load " + quoted(path) + ": ";
    const std::size_t size = b.size();
    const bool partial = fit_for && on_disk > size;  // only the head of a file larger than the bound was read
    const std::uint64_t file_has = partial ? on_disk : size;
    const auto truncated = [&](std::uint64_t expected, const char* at_least) {
        return io_error(fail + "truncated: expected " + at_least + std::to_string(expected) + " bytes, file has " +
                        std::to_string(file_has));
    };
    if (size == 0) throw io_error(fail + "the file is empty (0 bytes), not a sanenet file");
    const std::size_t head = std::min(size, sizeof magic);
    if (std::memcmp(b.data(), magic, head) != 0) {
        std::string seen;
        for (std::size_t i = 0; i < head; ++i) {
            const unsigned char c = b[i];
            if (c >= 0x20 && c < 0x7f && c != '\\')
                seen += static_cast<char>(c);
            else
                seen += "\\x" + hex_byte(c).substr(2);
        }
        throw io_error(fail + "not a sanenet file (magic \"" + seen + "\", expected \"SANENET\\x1a\")");
    }
    if (size < fixed_header) throw truncated(fixed_header, "at least ");
    model_file_content c;
    c.version = get_u32(b.data() + 8);
    if (c.version < 1 || c.version > quantized_version)
        throw io_error(fail + "format version " + std::to_string(c.version) + ", this build reads 1 to " +
                       std::to_string(quantized_version));
    const std::uint64_t layers_in_file = get_u32(b.data() + 28);
    const std::uint64_t count_at = fixed_header + record_size * layers_in_file;
    if (file_has < count_at + 8) throw truncated(count_at + 8, "at least ");
    if (size < count_at + 8)  // partial: a record longer than this network's file could hold
        throw io_error(fail + "the file is " + std::to_string(on_disk) + " bytes and declares " + std::to_string(layers_in_file) +
                       " layers; a model file of this network is at most " + std::to_string(own) + " bytes with " +
                       std::to_string(weight_layers(fit_for->specs()).size()) + " layers");
    const std::uint64_t count = get_u64(b.data() + count_at);
    const std::uint64_t params_at = count_at + 8;
    if (count > (std::numeric_limits<std::size_t>::max() - params_at - 8) / 4)  // no size_t could hold the file
        throw io_error(fail + "corrupted: the header announces " + std::to_string(count) + " parameters, the file has " +
                       std::to_string(file_has) + " bytes");
    if (partial) {
        // Larger than any file of fit_for: say why from the header alone (the fingerprint vouches
        // for the record; the checksum would need the whole file).
        const std::uint64_t least = params_at + 4 * count + 8;  // version 1's size; version 2 holds more
        if (on_disk < least) throw truncated(least, c.version >= 2 ? "at least " : "");
        task_spec file_task{};
        std::vector<layer_spec> file_layers;
        const std::vector<layer_spec> net_layers = weight_layers(fit_for->specs());
        if (decode_record(b.data() + 20, file_task, file_layers).empty() &&
            fingerprint(architecture_record(file_task, file_layers)) == get_u64(b.data() + 12)) {
            if (get_u64(b.data() + 12) != fingerprint(architecture_record(fit_for->task(), net_layers)))
                throw io_error(fail + architecture_difference(file_task, file_layers, fit_for->task(), net_layers));
            throw io_error(fail + "the file is " + std::to_string(on_disk) + " bytes, a model file of this network at most " +
                           std::to_string(own) + " (trailing data: corrupted or not written by save)");
        }
        throw io_error(fail + "the file holds " + std::to_string(count) + " parameters, this network has " +
                       std::to_string(fit_for->parameter_count()) + " (and the file's architecture record is corrupted)");
    }
    std::uint64_t at = params_at + 4 * count;  // where version 2 goes on
    std::uint64_t layers_at = 0, scalers_at = 0;
    std::uint32_t layer_list = 0;
    if (c.version >= 2) {
        // Each count is checked against the file before the next is read, so no sum can wrap.
        if (size < at + 4) throw truncated(at + 4 + 8, "at least ");
        layer_list = get_u32(b.data() + at);
        layers_at = at + 4;
        at = layers_at + record_size * layer_list;
        if (size < at + 8) throw truncated(at + 8 + 8, "at least ");
        c.waivers = get_u32(b.data() + at);
        scalers_at = at + 4;
        at = scalers_at;
        at += 4 + 8 * static_cast<std::uint64_t>(get_u32(b.data() + at));  // the input scaler
        if (size < at + 4) throw truncated(at + 4 + 8, "at least ");
        at += 4 + 8 * static_cast<std::uint64_t>(get_u32(b.data() + at));  // the target scaler: the size is known
    }
    std::uint64_t precision_at = 0;
    if (c.version >= 3) {
        precision_at = at;
        at += 4;
    }
    const std::uint64_t expected = at + 8;
    if (size < expected) throw truncated(expected, "");
    if (size > expected)
        throw io_error(fail + "expected " + std::to_string(expected) + " bytes, file has " + std::to_string(size) +
                       " (trailing data: corrupted or not written by save)");
    if (fnv1a(b.data(), size - 8) != get_u64(b.data() + size - 8)) throw io_error(fail + "checksum mismatch (file corrupted)");

    if (const std::string bad = decode_record(b.data() + 20, c.task, c.record); !bad.empty())
        throw io_error(fail + "corrupted architecture record (" + bad + ")");
    c.fingerprint = get_u64(b.data() + 12);
    if (fingerprint(architecture_record(c.task, c.record)) != c.fingerprint)
        throw io_error(fail + "corrupted header: the architecture record does not match its fingerprint");
    std::uint64_t file_params = 0;
    for (const layer_spec& s : c.record) {
        const std::uint64_t p = parameter_count(s);
        if (p > std::numeric_limits<std::uint64_t>::max() - file_params)
            throw io_error(fail + "corrupted header: the layers hold more parameters than any file can");
        file_params += p;
    }
    if (file_params != count)
        throw io_error(fail + "corrupted header: the layers hold " + std::to_string(file_params) +
                       " parameters, the header says " + std::to_string(count));

    if (c.version >= 2) {
        if (const std::string bad = decode_layers(b.data() + layers_at, layer_list, 2, c.layers); !bad.empty())
            throw io_error(fail + "corrupted layer list (" + bad + ")");
        const std::vector<layer_spec> projected = weight_layers(c.layers);
        // Layer by layer, not through the fingerprint: load_any sizes the model from the list.
        bool same = projected.size() == c.record.size();
        for (std::size_t i = 0; same && i < projected.size(); ++i) same = same_layer(projected[i], c.record[i]);
        if (!same)
            throw io_error(fail + "corrupted layer list: without Dropout and GaussianNoise it is not the architecture record (" +
                           architecture_difference(c.task, projected, c.task, c.record) + ")");
        std::uint32_t known = 0;
#define SANENET_TAG_BIT(Tag, Bit, Id, Slug) known |= std::uint32_t{1} << Bit;
        SANENET_LINT_TAGS(SANENET_TAG_BIT)
#undef SANENET_TAG_BIT
        if (c.waivers & ~known)
            throw io_error(fail + "corrupted waivers: bits " + hex_byte(c.waivers >> 24) + hex_byte(c.waivers >> 16).substr(2) +
                           hex_byte(c.waivers >> 8).substr(2) + hex_byte(c.waivers).substr(2) + " name no lint tag");
        std::uint64_t p = scalers_at;
        for (scaler* s : {&c.input, &c.target}) {
            const std::size_t width = get_u32(b.data() + p);
            s->mean.resize(width);
            s->scale.resize(width);
            get_floats(b.data() + p + 4, s->mean.data(), width);
            get_floats(b.data() + p + 4 + 4 * width, s->scale.data(), width);
            p += 4 + 8 * static_cast<std::uint64_t>(width);
        }
        const int inputs = c.record.empty() ? 0 : c.record.front().out;
        std::string bad = scaler_problem(c.input, "input", inputs);
        if (bad.empty() && !c.target.empty() && c.task.k != task_kind::regression)
            bad = "a target scaler in a " + task_name(c.task) + " network (target scalers are for Regression)";
        if (bad.empty()) bad = scaler_problem(c.target, "output", record_outputs(c.record));
        if (!bad.empty()) throw io_error(fail + "corrupted scalers: " + bad);
    }
    if (c.version >= 3) {
        const std::uint32_t code = get_u32(b.data() + precision_at);
        if (code != static_cast<std::uint32_t>(Precision::bf16))
            throw io_error(fail + "corrupted precision field: " + std::to_string(code) +
                           " (a version 3 file holds a reduced-precision model: 1 = bf16)");
        c.precision = Precision::bf16;
    }
    c.params.resize(static_cast<std::size_t>(count));
    get_floats(b.data() + params_at, c.params.data(), c.params.size());
    return c;
}

SANENET_INLINE void load_model(model& m, const std::filesystem::path& path) {
    using namespace serial;
    model_file_content c = read_model_file(path, &m);
    const std::string fail = "cannot load " + quoted(path) + ": ";
    if (c.precision != Precision::fp32)
        throw io_error(fail + "the file holds a " + precision_name(c.precision) +
                       " model (reduced precision, for inference only: a QuantizedNetwork's save wrote it), and a "
                       "Network loads fp32 weights to train or run them. Run it with sn::load_any(path), or load the "
                       "fp32 file it was quantized from to train it");
    const std::vector<layer_spec> net_layers = weight_layers(m.specs());
    if (fingerprint(architecture_record(m.task(), net_layers)) != c.fingerprint)
        throw io_error(fail + architecture_difference(c.task, c.record, m.task(), net_layers));
    if (c.params.size() != m.parameter_count())
        throw io_error(fail + "the file holds " + std::to_string(c.params.size()) + " parameters, this network has " +
                       std::to_string(m.parameter_count()));
    if (const std::string bad = first_non_finite(m, c.params.data(), c.params.size()); !bad.empty()) throw io_error(fail + bad);
    // Nothing can fail from here on: the scalers were checked against the file's widths, which are m's.
    std::copy(c.params.begin(), c.params.end(), m.params());
    m.clear_scalers();
    if (!c.input.empty()) m.set_input_scaler(std::move(c.input), "load");
    if (!c.target.empty()) m.set_target_scaler(std::move(c.target), "load");
}
#endif  // SANENET_DEFINITIONS

}  // namespace sanenet::detail
