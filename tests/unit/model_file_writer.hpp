// The model file written independently of io/model_file.hpp, from the layout in its header
// comment: format version 1 (the L records and the parameters) and version 2 (then the layer
// list, the waivers and the scalers). test_serialize.cpp and test_load_any.cpp craft their files
// with it; the golden files in tests/data/ are its output, checked by the tests.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

namespace model_file_writer {

using bytes = std::vector<unsigned char>;

inline void put_le(bytes& b, std::uint64_t v, int size) {
    for (int i = 0; i < size; ++i) b.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

inline std::uint64_t fnv1a64(const bytes& b, std::size_t n) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (std::size_t i = 0; i < n; ++i) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

// One 16-byte layer record: kind (0 Input, 1 Dense, 2 activation, 3 Dropout, 4 GaussianNoise,
// 5 LayerNorm), activation (0 Identity, 1 ReLU, 2 LeakyReLU, 3 ELU, 4 Tanh, 5 Sigmoid, 6 Softmax,
// 7 GELU, 8 SiLU), in version 2's layer list the initializer (0 LeCun, 1 He, 2 Xavier, 3-5 their
// uniform forms, 6 Zeros, 7 Constant; a zero byte in the L records), a zero byte, in, out, constant.
struct layer_record {
    std::uint8_t kind, activation;
    std::uint32_t in, out;
    float constant = 0.f;
    std::uint8_t init = 0;
};

inline void put_record(bytes& b, const layer_record& r) {
    b.push_back(r.kind);
    b.push_back(r.activation);
    b.push_back(r.init);
    b.push_back(0);
    put_le(b, r.in, 4);
    put_le(b, r.out, 4);
    put_le(b, std::bit_cast<std::uint32_t>(r.constant), 4);
}

// Bytes 20 .. 32+16L: task kind (0 regression, 1 classification, 2 multilabel), task outputs, L, the records.
inline bytes architecture_record(std::uint32_t task_kind, std::uint32_t outputs, const std::vector<layer_record>& layers) {
    bytes b;
    put_le(b, task_kind, 4);
    put_le(b, outputs, 4);
    put_le(b, layers.size(), 4);
    for (layer_record r : layers) {
        r.init = 0;  // the L records have two zero bytes there
        put_record(b, r);
    }
    return b;
}

// Version 2's part after the parameters.
struct version2 {
    std::vector<layer_record> layers;  // the layer list, Dropout and GaussianNoise included
    std::uint32_t waivers = 0;
    std::vector<float> input_mean, input_scale, target_mean, target_scale;
    std::uint64_t layer_count = ~std::uint64_t{0};  // S as written; all ones: layers.size()
};

inline void put_floats(bytes& b, const std::vector<float>& v) {
    for (float x : v) put_le(b, std::bit_cast<std::uint32_t>(x), 4);
}

// A whole file: magic, the version, the record's fingerprint, the record, the announced parameter
// count, the parameters, (version 2) the tail, and the checksum over everything before it.
inline bytes model_file(const bytes& record, std::uint64_t count, const std::vector<float>& params,
                        const version2* tail = nullptr) {
    bytes b = {'S', 'A', 'N', 'E', 'N', 'E', 'T', 0x1a};
    put_le(b, tail ? 2 : 1, 4);
    put_le(b, fnv1a64(record, record.size()), 8);
    b.insert(b.end(), record.begin(), record.end());
    put_le(b, count, 8);
    put_floats(b, params);
    if (tail) {
        put_le(b, tail->layer_count == ~std::uint64_t{0} ? tail->layers.size() : tail->layer_count, 4);
        for (const layer_record& r : tail->layers) put_record(b, r);
        put_le(b, tail->waivers, 4);
        put_le(b, tail->input_mean.size(), 4);
        put_floats(b, tail->input_mean);
        put_floats(b, tail->input_scale);
        put_le(b, tail->target_mean.size(), 4);
        put_floats(b, tail->target_mean);
        put_floats(b, tail->target_scale);
    }
    put_le(b, fnv1a64(b, b.size()), 8);
    return b;
}

inline bytes model_file(const bytes& record, std::uint64_t count, const std::vector<float>& params, const version2& tail) {
    return model_file(record, count, params, &tail);
}

}  // namespace model_file_writer
