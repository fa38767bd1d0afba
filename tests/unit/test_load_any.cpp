// sn::load_any (issue 15): the architecture from the file; predictions bit for bit the typed
// network's; the compile-time rules at load with the same IDs and messages (each rule on a file
// crafted to break it, by model_file_writer.hpp); waivers from the file and from LoadOptions;
// version-1 files; the round trip with the typed save.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "model_file_writer.hpp"
#include "test_support.hpp"

#include <array>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace sn = sanenet;
namespace fs = std::filesystem;
using namespace sanenet_test;
using namespace model_file_writer;

namespace {

using Mlp = sn::Network<sn::Classification<10>, sn::Input<784>, sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<10>, sn::Softmax>;
using Norm = sn::Network<sn::Regression, sn::Input<7>, sn::GaussianNoise<0.1>, sn::Dense<33, sn::XavierUniform>, sn::LayerNorm,
                         sn::GELU, sn::Dropout<0.8>, sn::Dense<17>, sn::SiLU, sn::Dense<3>, sn::Identity>;
// A regression ending in Sigmoid, L7.1 waived in the type: load_any must honour the recorded waiver.
using Share = sn::Network<sn::Regression, sn::Allow<sn::lint::BoundedRegressionOutput>, sn::Input<8>, sn::Dense<64, sn::He>,
                          sn::ELU, sn::Dropout<0.9>, sn::Dense<1>, sn::Sigmoid>;

// Deterministic, non-trivial weights: the initialization plus a pattern.
template <class N>
void perturb_params(N& net) {
    float* p = net.engine().params();
    for (std::size_t i = 0; i < net.engine().parameter_count(); ++i)
        p[i] += 0.01f * static_cast<float>(static_cast<int>(i % 17) - 8);
}

bool same(const sn::matrix& a, const sn::matrix& b) {
    return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

template <class Net>
void check_round_trip(Net& net, const sn::matrix& x, const fs::path& dir) {
    perturb_params(net);
    const fs::path file = dir / "typed.sanenet", again = dir / "any.sanenet";
    net.save(file);
    const sn::AnyNetwork any = sn::load_any(file);
    CHECK(any.summary() == net.summary());
    CHECK(any.input_size() == Net::input_size);
    CHECK(any.output_size() == Net::output_size);
    CHECK(any.parameter_count() == Net::parameter_count);
    CHECK(any.waivers() == Net::waivers);
    CHECK(any.diagnostics().empty());
    for (int threads : {1, 2}) {
        CAPTURE(threads);
        CHECK(same(any.predict(x, threads), net.predict(x, threads)));
    }
    std::vector<float> a(Net::output_size), b(Net::output_size);
    for (std::size_t i = 0; i < x.shape()[0]; i += 7) {
        const std::span<const float> row(x.data() + i * Net::input_size, Net::input_size);
        any.predict_one(row, a);
        net.predict_one(row, b);
        CHECK(a == b);
    }
    // save writes what the typed save wrote, and the typed network loads it.
    any.save(again);
    CHECK(read_bytes(again) == read_bytes(file));
    Net other{sn::Seed{99}};
    other.load(again);
    CHECK(params_of(other) == params_of(net));
}

}  // namespace

TEST_CASE("load_any reproduces the typed network bit for bit and round-trips with the typed save") {
    temp_dir dir("round_trip");
    SUBCASE("784-256-128-10 with Dropout") {
        Mlp net{sn::Seed{1}};
        check_round_trip(net, normal_matrix(300, 784, 2), dir.path);
    }
    SUBCASE("GaussianNoise, LayerNorm, GELU, SiLU, XavierUniform, scalers on both sides") {
        Norm net{sn::Seed{3}};
        const sn::matrix x = normal_matrix(100, 7, 4);
        sn::matrix raw = x;
        for (auto& v : raw) v = 50.f * v + 300.f;
        sn::Standardizer sx, sy;
        sx.fit(raw);
        sn::matrix y = normal_matrix(20, 3, 5);
        for (auto& v : y) v = 1000.f * v - 20.f;
        sy.fit(y);
        net.attach_input_scaler(sx);
        net.attach_target_scaler(sy);
        check_round_trip(net, raw, dir.path);
        const sn::AnyNetwork any = sn::load_any(dir.path / "typed.sanenet");
        CHECK(any.has_input_scaler());
        CHECK(any.has_target_scaler());
        CHECK(any.task() == "Regression");
    }
    SUBCASE("a waiver of the type is recorded and honoured") {
        Share net{sn::Seed{5}};
        check_round_trip(net, normal_matrix(40, 8, 6), dir.path);
    }
}

namespace {

// A version-2 file of the given layers (Dropout and GaussianNoise included) with every parameter
// 0.01: the L records, the count and the layer list follow from the layers.
bytes crafted(std::uint32_t task, std::uint32_t outputs, const std::vector<layer_record>& layers, std::uint32_t waivers = 0) {
    std::vector<layer_record> record;
    std::uint64_t count = 0;
    for (layer_record r : layers) {
        if (r.kind == 3 || r.kind == 4) continue;
        if (r.kind != 2) r.constant = 0.f;
        count += r.kind == 1 ? std::uint64_t{r.in} * r.out + r.out : r.kind == 5 ? 2 * std::uint64_t{r.out} : 0;
        record.push_back(r);
    }
    version2 t;
    t.layers = layers;
    t.waivers = waivers;
    return model_file(architecture_record(task, outputs, record), count, std::vector<float>(count, 0.01f), t);
}

constexpr std::uint8_t input = 0, dense = 1, activation = 2, dropout = 3, noise = 4, norm = 5;
constexpr std::uint8_t relu = 1, tanh_ = 4, sigmoid = 5, softmax = 6;

// A valid classifier: Input<4>, Dropout<0.9>, Dense<20> ReLU, Dense<3> Softmax.
std::vector<layer_record> good() {
    return {{input, 0, 4, 4},           {dropout, 0, 4, 4, 0.9f}, {dense, 0, 4, 20},
            {activation, relu, 20, 20}, {dense, 0, 20, 3},        {activation, softmax, 3, 3}};
}

// The lint_error load_any throws for the file, or "" when it loads.
std::string load_error(const fs::path& file, const bytes& b, std::string* message = nullptr, sn::LoadOptions o = {}) {
    write_file(file, b);
    try {
        (void)sn::load_any(file, o);
    } catch (const sn::lint_error& e) {
        if (message) *message = e.what();
        return e.id();
    }
    return "";
}

}  // namespace

TEST_CASE("the compile-time rules run at load: each error-level rule refuses its file with its ID") {
    temp_dir dir("rules");
    const fs::path file = dir.path / "m.sanenet";
    REQUIRE(load_error(file, crafted(1, 3, good())) == "");

    const auto with = [](std::size_t at, layer_record r) {
        auto l = good();
        l[at] = r;
        return l;
    };
    auto dense_first = good();
    dense_first.erase(dense_first.begin(), dense_first.begin() + 2);  // Dense<20> on 4 inputs, no Input
    CHECK(load_error(file, crafted(1, 3, dense_first)) == "E1");
    auto zero = good();
    zero[2].out = 0;
    zero[3] = {activation, relu, 0, 0};
    zero[4].in = 0;
    CHECK(load_error(file, crafted(1, 3, zero)) == "E2");
    CHECK(load_error(file, crafted(1, 3, with(1, {dropout, 0, 4, 4, 0.f}))) == "E3");
    CHECK(load_error(file, crafted(1, 3, with(1, {noise, 0, 4, 4, -0.5f}))) == "E11");
    CHECK(load_error(file, crafted(1, 3, with(1, {activation, tanh_, 4, 4}))) == "");  // an activation before the first Dense
    auto two = good();
    two.insert(two.begin() + 4, {activation, tanh_, 20, 20});  // ReLU, Tanh
    CHECK(load_error(file, crafted(1, 3, two)) == "E9");
    auto dd = good();
    dd.erase(dd.begin() + 3);  // Dense<20> then Dense<3>
    CHECK(load_error(file, crafted(1, 3, dd)) == "X1");
    CHECK(load_error(file, crafted(1, 3, with(3, {activation, softmax, 20, 20}))) == "E6");
    CHECK(load_error(file, crafted(1, 3, with(3, {activation, sigmoid, 20, 20}))) == "");  // a hidden Sigmoid: L8.3's warning
    auto ln_out = good();
    ln_out.insert(ln_out.begin() + 5, {norm, 0, 3, 3});
    CHECK(load_error(file, crafted(1, 3, ln_out)) == "E14");
    auto no_out = good();
    no_out.pop_back();
    CHECK(load_error(file, crafted(1, 3, no_out)) == "E4");
    auto after = good();
    after.push_back({dropout, 0, 3, 3, 0.9f});
    CHECK(load_error(file, crafted(1, 3, after)) == "E5");
    after.back() = {activation, relu, 3, 3};
    CHECK(load_error(file, crafted(1, 3, after)) == "E9");  // as in Network, E9 is checked before E5
    auto drop_out = good();
    drop_out.insert(drop_out.begin() + 5, {dropout, 0, 3, 3, 0.9f});
    CHECK(load_error(file, crafted(1, 3, drop_out)) == "E7");
    CHECK(load_error(file, crafted(1, 4, good())) == "E8");
    CHECK(load_error(file, crafted(1, 1, {{input, 0, 4, 4}, {dense, 0, 4, 1}, {activation, softmax, 1, 1}})) == "E13");
    CHECK(load_error(file, crafted(1, 3, with(5, {activation, sigmoid, 3, 3}))) == "L7.2");
    CHECK(load_error(file, crafted(0, 0, with(5, {activation, sigmoid, 3, 3}))) == "L7.1");
    CHECK(load_error(file, crafted(1, 3, with(1, {dropout, 0, 4, 4, 0.2f}))) == "L4.2");
    CHECK(load_error(file, crafted(1, 3, with(2, {dense, 0, 4, 20, 0.f, 6}))) == "L9.1");  // Zeros
    CHECK(load_error(file, crafted(1, 3, with(2, {dense, 0, 4, 20, 0.5f, 7}))) == "L9.1");  // Constant<0.5>

    SUBCASE("the message is the compile-time rule's, with the file and the layer") {
        std::string msg;
        REQUIRE(load_error(file, crafted(1, 3, dd), &msg) == "X1");
        CHECK(msg.rfind(SANENET_X1_MESSAGE, 0) == 0);
        CHECK(contains(msg, "Found in '" + file.string() + "': layer 2, Dense<20>."));
        REQUIRE(load_error(file, crafted(0, 0, with(5, {activation, sigmoid, 3, 3})), &msg) == "L7.1");
        CHECK(msg.rfind(SANENET_L7_1_MESSAGE, 0) == 0);
        CHECK(contains(msg, "layer 5, Sigmoid."));
    }
    SUBCASE("a waiver recorded in the file, or given at load, lets it load") {
        CHECK(load_error(file, crafted(1, 3, dd, sn::lint::MissingNonlinearity::bit)) == "");
        CHECK(load_error(file, crafted(1, 3, dd), nullptr, {.allow = sn::allow<sn::lint::MissingNonlinearity>()}) == "");
        CHECK(load_error(file, crafted(0, 0, with(5, {activation, sigmoid, 3, 3})), nullptr,
                         {.allow = sn::allow<sn::lint::BoundedRegressionOutput>()}) == "");
        // E rules have no waiver: every bit set does not help.
        CHECK(load_error(file, crafted(1, 3, no_out, (1u << 22) - 1)) == "E4");
    }
}

TEST_CASE("the warning-level rules are listed in diagnostics(), with their IDs, and waivable") {
    temp_dir dir("warnings");
    const fs::path file = dir.path / "m.sanenet";
    auto no_dropout = good();
    no_dropout.erase(no_dropout.begin() + 1);
    no_dropout[1].in = 4;
    write_file(file, crafted(1, 3, no_dropout));
    sn::AnyNetwork a = sn::load_any(file);
    REQUIRE(a.diagnostics().size() == 1);
    CHECK(a.diagnostics()[0].id == "L4.1");
    CHECK(a.diagnostics()[0].severity == sn::Severity::warning);
    CHECK(a.diagnostics()[0].message == SANENET_L4_1_MESSAGE);
    CHECK(sn::load_any(file, {.allow = sn::allow<sn::lint::NoRegularization>()}).diagnostics().empty());

    // A hidden layer of 10 for 3 classes (< 5 x 3) and nine Dense layers: L10.1 and L11.1.
    std::vector<layer_record> deep = {{input, 0, 4, 4}, {dropout, 0, 4, 4, 0.9f}};
    std::uint32_t width = 4;
    for (int i = 0; i < 8; ++i) {
        const std::uint32_t w = i == 0 ? 10 : 20;
        deep.push_back({dense, 0, width, w});
        deep.push_back({activation, relu, w, w});
        width = w;
    }
    deep.push_back({dense, 0, width, 3});
    deep.push_back({activation, softmax, 3, 3});
    write_file(file, crafted(1, 3, deep));
    sn::AnyNetwork d = sn::load_any(file);
    std::vector<std::string> ids;
    for (const auto& f : d.diagnostics()) ids.push_back(f.id);
    REQUIRE(ids == std::vector<std::string>{"L10.1", "L11.1"});
    CHECK(d.diagnostics()[1].evidence == "layer 2, Dense<10>");
    write_file(file, crafted(1, 3, deep, sn::lint::TooDeep::bit));
    CHECK(sn::load_any(file).diagnostics().size() == 1);

    // A hidden Sigmoid (legal since issue 14): L8.3 at its layer, waived by the file or at load.
    auto gate = good();
    gate[3] = {activation, sigmoid, 20, 20};
    write_file(file, crafted(1, 3, gate));
    const sn::AnyNetwork g = sn::load_any(file);
    REQUIRE(g.diagnostics().size() == 1);
    CHECK(g.diagnostics()[0].id == "L8.3");
    CHECK(g.diagnostics()[0].severity == sn::Severity::warning);
    CHECK(g.diagnostics()[0].message == SANENET_L8_3_MESSAGE);
    CHECK(g.diagnostics()[0].evidence == "layer 3, Sigmoid");
    CHECK(sn::load_any(file, {.allow = sn::allow<sn::lint::HiddenSigmoid>()}).diagnostics().empty());
    write_file(file, crafted(1, 3, gate, sn::lint::HiddenSigmoid::bit));
    CHECK(sn::load_any(file).diagnostics().empty());
}

TEST_CASE("a version-1 file loads through load_any: its records, no L4.1 (it records no Dropout), saved as version 2") {
    temp_dir dir("v1");
    const fs::path golden = fs::path(__FILE__).parent_path() / ".." / "data" / "golden_v1.sanenet";
    const sn::AnyNetwork any = sn::load_any(golden);
    // Its type waived TooFewHiddenUnits, but version 1 records no waivers: the hidden Dense<4> is
    // L11.1's warning (4 < 5 x 2 classes). L4.1 would fire on any version-1 file and is not checked.
    REQUIRE(any.diagnostics().size() == 1);
    CHECK(any.diagnostics()[0].id == "L11.1");
    CHECK(any.layers().size() == 5);
    CHECK(any.task() == "Classification<2>");
    // Version 1's hand-computed predictions (test_serialize.cpp).
    const sn::matrix p = any.predict(sn::matrix{{1.f, 2.f, -1.f}}, 1);
    const double p0 = 1.0 / (1.0 + std::exp(-2.40625 - 3.265625));
    CHECK(std::fabs(p(0, 0) - p0) < 1e-6);
    any.save(dir.path / "v2.sanenet");
    const bytes v2 = read_bytes(dir.path / "v2.sanenet");
    CHECK(v2[8] == 2);
    using GoldenNet = sn::Network<sn::Classification<2>, sn::Allow<sn::lint::TooFewHiddenUnits>, sn::Input<3>,
                                  sn::Dense<4, sn::He>, sn::LeakyReLUWith<0.25>, sn::Dropout<0.9>, sn::Dense<2>, sn::Softmax>;
    GoldenNet net{sn::Seed{1}};
    net.load(dir.path / "v2.sanenet");
    CHECK(same(net.predict(sn::matrix{{1.f, 2.f, -1.f}}, 1), p));
}

TEST_CASE("load_any refuses an architecture whose widths do not chain, which the engine would read past") {
    temp_dir dir("chain");
    const fs::path file = dir.path / "m.sanenet";
    const std::vector<float> params(26, 0.25f);
    // Version 1 records (test_serialize.cpp's golden layers) with the LeakyReLU's widths changed:
    // the parameter count still matches, so only the chain check can see it.
    const auto v1 = [&](layer_record act) {
        return model_file(architecture_record(1, 2, {{0, 0, 3, 3}, {1, 0, 3, 4}, act, {1, 0, 4, 2}, {2, 6, 2, 2}}), 26, params);
    };
    write_file(file, v1({2, 2, 5, 5, 0.25f}));
    CHECK(contains(message_of<sn::io_error>([&] { (void)sn::load_any(file); }),
                   "corrupted architecture: layer 2 (LeakyReLUWith<0.25>) takes 5 values, layer 1 gives 4"));
    write_file(file, v1({2, 2, 4, 5, 0.25f}));
    CHECK(contains(message_of<sn::io_error>([&] { (void)sn::load_any(file); }),
                   "corrupted architecture: layer 2 (LeakyReLUWith<0.25>) takes 4 values and gives 5"));
    write_file(file, v1({2, 2, 4, 4, 0.25f}));
    CHECK_NOTHROW((void)sn::load_any(file));
}

TEST_CASE("load_any: damaged files are io_errors, non-finite parameters too; predict_one checks its lengths") {
    temp_dir dir("damaged");
    const fs::path file = dir.path / "m.sanenet";
    CHECK(contains(message_of<sn::io_error>([&] { (void)sn::load_any(dir.path / "none.sanenet"); }), "No such file"));
    bytes b = crafted(1, 3, good());
    b[b.size() - 1] ^= 1;
    write_file(file, b);
    CHECK(contains(message_of<sn::io_error>([&] { (void)sn::load_any(file); }), "checksum mismatch"));
    bytes nan = crafted(1, 3, good());
    const std::size_t at = 40 + 16 * 5 + 4 * 7;  // parameter 7
    nan[at + 3] = 0x7f, nan[at + 2] = 0xc0;
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (std::size_t i = 0; i + 8 < nan.size(); ++i) h = (h ^ nan[i]) * 0x100000001b3ull;
    for (int i = 0; i < 8; ++i) nan[nan.size() - 8 + static_cast<std::size_t>(i)] = static_cast<unsigned char>(h >> (8 * i));
    write_file(file, nan);
    CHECK(contains(message_of<sn::io_error>([&] { (void)sn::load_any(file); }),
                   "parameter 7 (dense0 weight, input 0, unit 7) is NaN"));

    write_file(file, crafted(1, 3, good()));
    const sn::AnyNetwork any = sn::load_any(file);
    std::vector<float> in(4), out(3), wrong(5);
    CHECK_NOTHROW(any.predict_one(in, out));
    CHECK(contains(message_of<sn::shape_error>([&] { any.predict_one(wrong, out); }), "input span of 5 values"));
    CHECK(contains(message_of<sn::shape_error>([&] { (void)any.predict(sn::matrix::from_shape({2, 5})); }), "(2, 5)"));
}

TEST_CASE("AnyNetwork::predict_one's per-thread workspaces grow for a wider network on the same thread") {
    // Norm (33 wide) first, then the MLP (784 wide) on this thread: the same bits as the typed
    // networks' predict_one, which keep their workspaces on the stack. A workspace that does not
    // grow is a heap overflow that the plain build may not see in the values: `make
    // sanitize-asan` reports it (seen with the growth removed).
    temp_dir dir;
    Norm narrow{sn::Seed{2}};
    Mlp wide{sn::Seed{3}};
    narrow.save(dir.path / "narrow.sanenet");
    wide.save(dir.path / "wide.sanenet");
    const sn::AnyNetwork a = sn::load_any(dir.path / "narrow.sanenet"), b = sn::load_any(dir.path / "wide.sanenet");
    const auto run = [](const auto& net, std::size_t in, std::size_t out) {
        std::vector<float> x(in), y(out);
        for (std::size_t i = 0; i < in; ++i) x[i] = static_cast<float>(i % 13) * 0.1f - 0.6f;
        net.predict_one(std::span<const float>(x), std::span<float>(y));
        return y;
    };
    CHECK(run(a, 7, 3) == run(narrow, 7, 3));
    CHECK(run(b, 784, 10) == run(wide, 784, 10));
    CHECK(run(a, 7, 3) == run(narrow, 7, 3));
}
