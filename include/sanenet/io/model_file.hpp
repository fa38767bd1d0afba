// Network::save / Network::load: the binary model file.
//
// Layout, every integer little-endian, every float IEEE-754 binary32 little-endian:
//   offset 0   8 bytes   magic "SANENET\x1a"
//          8   u32       format version (1)
//         12   u64       architecture fingerprint: FNV-1a 64 over bytes 20 .. 32+16L (the record below)
//         20   u32       task kind (0 regression, 1 classification, 2 multilabel)
//         24   u32       task outputs (0 = any, for regression)
//         28   u32       L, the number of weight-relevant layers (every kind but Dropout and GaussianNoise)
//         32   16 x L    per layer: u8 kind, u8 activation, u16 zero, u32 in, u32 out, f32 constant
//                        (activation constant; 0 for the other kinds); the codes of core/spec.hpp
//   32+16L     u64       N, the parameter count
//   40+16L     4 x N     the parameters, layer by layer: Dense W (in x out, row-major) then b (out);
//                        LayerNorm gain (width) then bias (width)
//   40+16L+4N  u64       checksum: FNV-1a 64 over every byte before it
// Dropout, GaussianNoise and the initializers are not recorded: weights trained with
// dropout load into the same network without it.
#pragma once

#include <sanenet/core/errors.hpp>
#include <sanenet/core/spec.hpp>
#include <sanenet/io/file.hpp>
#include <sanenet/model/model.hpp>

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
inline constexpr std::uint32_t format_version = 1;
inline constexpr std::size_t fixed_header = 32;  // magic .. L
inline constexpr std::size_t record_size = 16;

using bytes = std::vector<unsigned char>;

}  // namespace serial

// Writes m's architecture record and parameters to `path` atomically (the layout above);
// refuses non-finite parameters, which load would refuse.
SANENET_INLINE void save_model(const model& m, const std::filesystem::path& path);

// Reads `path` into m's parameters after checking the magic, version, sizes, checksum and
// that the file's architecture is m's; every failure is an io_error naming the path.
SANENET_INLINE void load_model(model& m, const std::filesystem::path& path);

// What Network::save and Network::load call (declared in network/network.hpp).
template <class Path>
struct model_file {
    static void save(const model& m, const Path& path) { save_model(m, path); }
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

// Decodes a record after the checksum passed; empty string on success, else what is wrong.
SANENET_INLINE std::string decode_record(const unsigned char* p, task_spec& task, std::vector<layer_spec>& layers) {
    const std::uint32_t tk = get_u32(p), outputs = get_u32(p + 4), count = get_u32(p + 8);
    if (tk > static_cast<std::uint32_t>(task_kind::multilabel)) return "unknown task kind " + std::to_string(tk);
    if (outputs > 0x7fffffffu) return "impossible task output count " + std::to_string(outputs);
    task = {static_cast<task_kind>(tk), static_cast<int>(outputs)};
    layers.clear();
    for (std::uint32_t i = 0; i < count; ++i) {
        const unsigned char* r = p + 12 + record_size * i;
        const std::string where = "layer record " + std::to_string(i) + ": ";
        if (r[0] >= kind_count || is_regularizer(static_cast<kind>(r[0])))
            return where + "unknown layer kind " + std::to_string(r[0]);
        if (r[1] >= act_count) return where + "unknown activation " + std::to_string(r[1]);
        layer_spec s{};
        s.k = static_cast<kind>(r[0]);
        s.a = static_cast<act>(r[1]);
        const std::uint32_t in = get_u32(r + 4), out = get_u32(r + 8);
        if (in > 0x7fffffffu || out > 0x7fffffffu) return where + "impossible width";
        s.in = static_cast<int>(in);
        s.out = static_cast<int>(out);
        s.param = std::bit_cast<float>(get_u32(r + 12));
        layers.push_back(s);
    }
    return {};
}

}  // namespace serial

SANENET_INLINE void save_model(const model& m, const std::filesystem::path& path) {
    using namespace serial;
    const std::size_t n = m.parameter_count();
    if (const std::string bad = first_non_finite(m, m.params(), n); !bad.empty())
        throw io_error("refusing to save " + quoted(path) + ": " + bad + " (a file that load would refuse)");
    const bytes record = architecture_record(m.task(), weight_layers(m.specs()));
    bytes b;
    b.reserve(fixed_header - 12 + record.size() + 8 + 4 * n + 8);
    put_raw(b, magic, sizeof magic);
    put_u32(b, format_version);
    put_u64(b, fingerprint(record));
    put_raw(b, record.data(), record.size());
    put_u64(b, static_cast<std::uint64_t>(n));
    put_floats(b, m.params(), n);
    put_u64(b, fnv1a(b.data(), b.size()));
    write_file_atomically(path, b, "save");
}

SANENET_INLINE void load_model(model& m, const std::filesystem::path& path) {
    using namespace serial;
    // This network's file is `own` bytes. A file more than twice that (plus 1 MiB for another
    // architecture's record) cannot be loaded, so no more of it is read than that bound: its
    // header still says what it is, and a hostile size costs no memory.
    const std::size_t own = fixed_header + record_size * weight_layers(m.specs()).size() + 8 + 4 * m.parameter_count() + 8;
    const std::size_t bound = 2 * own + (std::size_t{1} << 20);
    std::uint64_t on_disk = 0;
    const bytes b = read_file_head(path, "model file", bound + 1, on_disk);
    const std::string fail = "cannot load " + quoted(path) + ": ";
    const std::size_t size = b.size();
    const bool partial = on_disk > size;  // only the head of a file larger than the bound was read
    const auto truncated = [&](std::uint64_t expected, const char* at_least) {
        return io_error(fail + "truncated: expected " + at_least + std::to_string(expected) + " bytes, file has " +
                        std::to_string(on_disk));
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
    const std::uint32_t version = get_u32(b.data() + 8);
    if (version != format_version)
        throw io_error(fail + "format version " + std::to_string(version) + ", this build reads " +
                       std::to_string(format_version));
    const std::uint64_t layers_in_file = get_u32(b.data() + 28);
    const std::uint64_t count_at = fixed_header + record_size * layers_in_file;
    if (on_disk < count_at + 8) throw truncated(count_at + 8, "at least ");
    if (size < count_at + 8)
        throw io_error(fail + "the file is " + std::to_string(on_disk) + " bytes and declares " + std::to_string(layers_in_file) +
                       " layers; a model file of this network is " + std::to_string(own) + " bytes with " +
                       std::to_string(weight_layers(m.specs()).size()) + " layers");
    const std::uint64_t count = get_u64(b.data() + count_at);
    const std::uint64_t params_at = count_at + 8;
    if (count > (std::numeric_limits<std::size_t>::max() - params_at - 8) / 4)  // no size_t could hold the file
        throw io_error(fail + "corrupted: the header announces " + std::to_string(count) + " parameters, the file has " +
                       std::to_string(on_disk) + " bytes");
    const std::size_t expected = static_cast<std::size_t>(params_at + 4 * count + 8);
    if (on_disk < expected) throw truncated(expected, "");
    if (on_disk > expected)
        throw io_error(fail + "expected " + std::to_string(expected) + " bytes, file has " + std::to_string(on_disk) +
                       " (trailing data: corrupted or not written by save)");
    if (partial) {
        // A complete file of another, larger network: say which, from its record alone (the
        // fingerprint vouches for it; the checksum would need the whole file).
        task_spec file_task{};
        std::vector<layer_spec> file_layers;
        if (decode_record(b.data() + 20, file_task, file_layers).empty() &&
            fingerprint(architecture_record(file_task, file_layers)) == get_u64(b.data() + 12))
            throw io_error(fail + architecture_difference(file_task, file_layers, m.task(), weight_layers(m.specs())));
        throw io_error(fail + "the file holds " + std::to_string(count) + " parameters, this network has " +
                       std::to_string(m.parameter_count()) + " (and the file's architecture record is corrupted)");
    }
    if (fnv1a(b.data(), size - 8) != get_u64(b.data() + size - 8)) throw io_error(fail + "checksum mismatch (file corrupted)");

    task_spec file_task{};
    std::vector<layer_spec> file_layers;
    if (const std::string bad = decode_record(b.data() + 20, file_task, file_layers); !bad.empty())
        throw io_error(fail + "corrupted architecture record (" + bad + ")");
    const std::uint64_t stored_fingerprint = get_u64(b.data() + 12);
    if (fingerprint(architecture_record(file_task, file_layers)) != stored_fingerprint)
        throw io_error(fail + "corrupted header: the architecture record does not match its fingerprint");
    std::uint64_t file_params = 0;
    for (const layer_spec& s : file_layers) file_params += parameter_count(s);
    if (file_params != count)
        throw io_error(fail + "corrupted header: the layers hold " + std::to_string(file_params) +
                       " parameters, the header says " + std::to_string(count));

    const std::vector<layer_spec> net_layers = weight_layers(m.specs());
    if (fingerprint(architecture_record(m.task(), net_layers)) != stored_fingerprint)
        throw io_error(fail + architecture_difference(file_task, file_layers, m.task(), net_layers));
    if (count != m.parameter_count())
        throw io_error(fail + "the file holds " + std::to_string(count) + " parameters, this network has " +
                       std::to_string(m.parameter_count()));

    std::vector<float> values(static_cast<std::size_t>(count));
    get_floats(b.data() + params_at, values.data(), values.size());
    if (const std::string bad = first_non_finite(m, values.data(), values.size()); !bad.empty()) throw io_error(fail + bad);
    std::copy(values.begin(), values.end(), m.params());
}
#endif  // SANENET_DEFINITIONS

}  // namespace sanenet::detail
