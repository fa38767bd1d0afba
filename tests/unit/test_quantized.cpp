// sn::quantize and the bf16 inference model (issue 17): predictions against a double-precision
// forward pass written here over weights rounded here (by arithmetic, not by the kernel's bit
// manipulation); predict_one against predict; the model file's precision field (save, load_any,
// Network::load's refusal, old files still loading, a damaged field); the weights bf16 cannot
// hold; lint L2.4 on a model built to lose accuracy or MSE; the bf16 header compiled and run.
#include <sanenet/sanenet.hpp>

#include <doctest/doctest.h>

#include "model_file_writer.hpp"
#include "test_support.hpp"

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#ifndef SANENET_TEST_CXX
#define SANENET_TEST_CXX "g++"
#endif

namespace sn = sanenet;
namespace fs = std::filesystem;
using namespace sanenet_test;

namespace {

using Mlp = sn::Network<sn::Classification<10>, sn::Input<784>, sn::Dropout<0.9>, sn::Dense<256, sn::He>, sn::ReLU,
                        sn::Dropout<0.9>, sn::Dense<128, sn::He>, sn::ReLU, sn::Dense<10>, sn::Softmax>;
using Arm = sn::Network<sn::Regression, sn::Input<5>, sn::Dropout<0.9>, sn::Dense<64, sn::He>, sn::ReLU, sn::Dense<47, sn::He>,
                        sn::ELU, sn::Dense<3>, sn::Identity>;
using Mixed = sn::Network<sn::Classification<5>, sn::Input<10>, sn::GaussianNoise<0.1>, sn::Tanh, sn::Dense<40>, sn::LayerNorm,
                          sn::GELU, sn::Dropout<0.8>, sn::Dense<33>, sn::SiLU, sn::Dense<30, sn::He>, sn::LeakyReLUWith<0.1>,
                          sn::Dense<5>, sn::Softmax>;
// Two classes from one input: logit c = w_c x + b_c (L11.1 waived: a hand-built model).
using Toy = sn::Network<sn::Classification<2>, sn::Allow<sn::lint::TooFewHiddenUnits, sn::lint::NoRegularization>, sn::Input<1>,
                        sn::Dense<2>, sn::Softmax>;
using Line = sn::Network<sn::Regression, sn::Allow<sn::lint::TooFewHiddenUnits, sn::lint::NoRegularization>, sn::Input<1>,
                         sn::Dense<1>, sn::Identity>;

// x rounded to bf16 (8 significant bits, ties to even) by arithmetic: nearbyint rounds half to even.
double round_bf16(float x) {
    if (x == 0.f) return x;
    const int e = std::max(std::ilogb(x), -126);
    const double step = std::ldexp(1.0, e - 7);
    return std::nearbyint(static_cast<double>(x) / step) * step;
}

// The MLP in double: Dense weights rounded (or not), ReLU, ReLU, softmax.
std::vector<double> reference_mlp(const Mlp& net, const float* x, bool rounded) {
    const auto& m = net.engine();
    std::vector<double> h(x, x + 784);
    for (const auto& st : m.stages()) {
        if (st.k != sn::detail::kind::dense) continue;
        std::vector<double> z(static_cast<std::size_t>(st.out));
        for (int j = 0; j < st.out; ++j) {
            double s = m.params()[st.b + static_cast<std::size_t>(j)];
            for (int i = 0; i < st.in; ++i) {
                const float w = m.params()[st.w + static_cast<std::size_t>(i) * st.out + j];
                s += h[static_cast<std::size_t>(i)] * (rounded ? round_bf16(w) : static_cast<double>(w));
            }
            z[static_cast<std::size_t>(j)] = s;
        }
        h = z;
        if (st.out != 10)
            for (double& v : h) v = v > 0 ? v : 0;
    }
    double top = h[0], sum = 0;
    for (double v : h) top = std::max(top, v);
    for (double& v : h) sum += v = std::exp(v - top);
    for (double& v : h) v /= sum;
    return h;
}

// Trained-looking weights: the initialization plus a pattern, and nonzero biases.
template <class N>
void perturb(N& net) {
    float* p = net.engine().params();
    for (std::size_t i = 0; i < N::parameter_count; ++i) p[i] += 0.05f * std::sin(0.37f * static_cast<float>(i));
}

void fit_scalers(Arm& net) {
    sn::Standardizer in, out;
    in.fit(normal_matrix(200, 5, 3) * 20.f + 7.f);
    out.fit(normal_matrix(200, 3, 4) * 300.f - 1000.f);
    net.attach_input_scaler(in);
    net.attach_target_scaler(out);
}

// The little-endian value of `size` bytes of b at `at`.
std::uint64_t get_le(const bytes& b, std::size_t at, int size) {
    std::uint64_t v = 0;
    for (int i = 0; i < size; ++i) v |= static_cast<std::uint64_t>(b[at + static_cast<std::size_t>(i)]) << (8 * i);
    return v;
}

bool fired(const sn::QuantizedNetwork& q, const std::string& id) {
    for (const auto& d : q.diagnostics())
        if (d.id == id) return true;
    return false;
}

template <class Q>
std::vector<float> one(const Q& q, const float* x, std::size_t in, std::size_t out) {
    std::vector<float> y(out);
    q.predict_one(std::span<const float>(x, in), y);
    return y;
}

}  // namespace

TEST_CASE("bf16 predict_one of the 784-256-128-10 MLP against a double forward pass over the rounded weights") {
    Mlp net{sn::Seed{3}};
    perturb(net);
    const sn::QuantizedNetwork q = sn::quantize(net, sn::Precision::bf16);
    CHECK(q.precision() == sn::Precision::bf16);
    const sn::matrix x = normal_matrix(50, 784, 9);
    double worst = 0, worst_unrounded = 0;
    for (std::size_t r = 0; r < 50; ++r) {
        const std::vector<float> y = one(q, x.data() + r * 784, 784, 10);
        const std::vector<double> ref = reference_mlp(net, x.data() + r * 784, true),
                                  fp = reference_mlp(net, x.data() + r * 784, false);
        for (std::size_t j = 0; j < 10; ++j) {
            worst = std::max(worst, std::abs(y[j] - ref[j]));
            worst_unrounded = std::max(worst_unrounded, std::abs(y[j] - fp[j]));
        }
    }
    // fp32 sums of up to 784 products against double: a few 1e-7 on probabilities.
    CHECK(worst <= 2e-6);
    // The rounding itself moves the probabilities by far more: the reference tells them apart.
    CHECK(worst_unrounded >= 50 * 2e-6);
    MESSAGE("worst |bf16 - double reference| " << worst << "; against the unrounded weights " << worst_unrounded);
}

TEST_CASE("QuantizedNetwork: predict_one is predict row by row, bit for bit, with scalers and every layer kind") {
    Arm arm{sn::Seed{5}};
    perturb(arm);
    fit_scalers(arm);
    Mixed mixed{sn::Seed{6}};
    perturb(mixed);
    const auto check = [](const auto& net, std::size_t in, std::size_t out) {
        const sn::QuantizedNetwork q = sn::quantize(net, sn::Precision::bf16);
        const sn::matrix x = normal_matrix(300, in, 17) * 5.f;  // more than predict's chunk of 256
        const sn::matrix p = q.predict(x);
        REQUIRE(p.shape()[0] == 300);
        REQUIRE(p.shape()[1] == out);
        for (std::size_t r = 0; r < 300; ++r) {
            const std::vector<float> y = one(q, x.data() + r * in, in, out);
            for (std::size_t j = 0; j < out; ++j)
                REQUIRE(std::bit_cast<std::uint32_t>(y[j]) == std::bit_cast<std::uint32_t>(p(r, j)));
        }
        // And near the fp32 network (scalers applied: the same units), not equal to it.
        const sn::matrix f = net.predict(x);
        double worst = 0, scale = 0;
        for (std::size_t i = 0; i < f.size(); ++i) {
            worst = std::max(worst, static_cast<double>(std::abs(f.data()[i] - p.data()[i])));
            scale = std::max(scale, static_cast<double>(std::abs(f.data()[i])));
        }
        CHECK(worst > 0);
        CHECK(worst <= 0.05 * std::max(1.0, scale));
    };
    check(arm, 5, 3);
    check(mixed, 10, 5);
    std::vector<float> in(4), out(3);
    const sn::QuantizedNetwork q = sn::quantize(arm, sn::Precision::bf16);
    CHECK(contains(message_of<sn::shape_error>([&] { q.predict_one(in, out); }), "input span of 4 values"));
}

TEST_CASE("quantize to fp32 keeps the network's predictions bit for bit") {
    Arm arm{sn::Seed{5}};
    perturb(arm);
    fit_scalers(arm);
    const sn::QuantizedNetwork q = sn::quantize(arm, sn::Precision::fp32);
    CHECK(q.precision() == sn::Precision::fp32);
    const sn::matrix x = normal_matrix(20, 5, 1);
    const sn::matrix a = arm.predict(x), b = q.predict(x);
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a.data()[i] == b.data()[i]);
}

TEST_CASE("quantize refuses NaN, infinite and out-of-range weights, naming the weight") {
    const float bad[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(), 3.4e38f};
    for (float v : bad) {
        Arm arm{sn::Seed{1}};
        const auto& st = arm.engine().stages()[1];  // the first Dense (after the Dropout), fused with its ReLU
        REQUIRE(st.k == sn::detail::kind::dense);
        arm.engine().params()[st.w + 2 * static_cast<std::size_t>(st.out) + 5] = v;
        const std::string m = message_of<sn::argument_error>([&] { (void)sn::quantize(arm, sn::Precision::bf16); });
        INFO(m);
        CHECK(contains(m, "quantize: cannot round the weights to bf16: dense0 weight, input 2, unit 5 is"));
        CHECK_THROWS_AS((void)sn::quantize(arm, sn::Precision::bf16), sn::argument_error);
        CHECK_THROWS_AS(sn::export_header(arm, fs::temp_directory_path() / "never.hpp", {.precision = sn::Precision::bf16}),
                        sn::error);
    }
    // 3.38e38 is within bf16's range (its largest finite value is 3.3895e38).
    Arm arm{sn::Seed{1}};
    arm.engine().params()[arm.engine().stages()[1].w] = 3.38e38f;
    CHECK_NOTHROW((void)sn::quantize(arm, sn::Precision::bf16));
}

TEST_CASE("the bf16 model file: load_any runs it in bf16, saves it byte for byte; Network::load refuses it") {
    temp_dir dir;
    Arm arm{sn::Seed{8}};
    perturb(arm);
    fit_scalers(arm);
    const sn::QuantizedNetwork q = sn::quantize(arm, sn::Precision::bf16);
    const fs::path path = dir.path / "arm_bf16.sanenet";
    q.save(path);
    const bytes b = read_bytes(path);
    CHECK(get_le(b, 8, 4) == 3);  // format version 3
    CHECK(get_le(b, b.size() - 12, 4) == 1);  // precision bf16, before the checksum

    const sn::AnyNetwork any = sn::load_any(path);
    CHECK(any.precision() == sn::Precision::bf16);
    CHECK(contains(any.summary(), "Dense weights in bf16 (inference only)"));
    const sn::matrix x = normal_matrix(40, 5, 2) * 10.f;
    const sn::matrix pq = q.predict(x), pa = any.predict(x);
    for (std::size_t i = 0; i < pq.size(); ++i) REQUIRE(pq.data()[i] == pa.data()[i]);
    std::vector<float> y(3);
    any.predict_one(std::span<const float>(x.data(), 5), y);
    for (std::size_t j = 0; j < 3; ++j) CHECK(y[j] == pq(0, j));
    any.save(dir.path / "again.sanenet");
    CHECK(read_bytes(dir.path / "again.sanenet") == b);
    CHECK(sn::quantize(any, sn::Precision::bf16).predict(x) == pq);  // quantizing again changes nothing
    // Weights imported into the bf16 model would not reach the copy it runs: refused, nothing changed.
    sn::export_npy(arm, dir.path / "npy");
    sn::AnyNetwork target = sn::load_any(path);
    const std::string im = message_of<sn::argument_error>([&] { sn::import_npy(target, dir.path / "npy"); });
    CHECK(contains(im, "import_npy: this network holds bf16 weights, for inference only"));
    CHECK(target.predict(x) == pq);

    // A typed network refuses it, says why and what to do, and is left as it was.
    Arm other{sn::Seed{9}};
    const std::vector<float> before = params_of(other);
    const std::string m = message_of<sn::io_error>([&] { other.load(path); });
    INFO(m);
    CHECK(contains(m, "arm_bf16.sanenet"));
    CHECK(contains(m, "holds a bf16 model"));
    CHECK(contains(m, "sn::load_any"));
    CHECK(contains(m, "fp32 file"));
    CHECK_THROWS_AS(other.load(path), sn::io_error);
    CHECK(params_of(other) == before);
    CHECK_FALSE(other.has_input_scaler());

    // fp32 stays version 2, byte for byte what the network writes, and loads into the network.
    arm.save(dir.path / "arm.sanenet");
    sn::quantize(arm, sn::Precision::fp32).save(dir.path / "arm_fp32.sanenet");
    CHECK(read_bytes(dir.path / "arm_fp32.sanenet") == read_bytes(dir.path / "arm.sanenet"));
    CHECK(get_le(read_bytes(dir.path / "arm.sanenet"), 8, 4) == 2);
    CHECK(sn::load_any(dir.path / "arm.sanenet").precision() == sn::Precision::fp32);
    CHECK_FALSE(contains(sn::load_any(dir.path / "arm.sanenet").summary(), "bf16"));
}

TEST_CASE("files written before the precision field still load; a damaged precision field or non-bf16 weights do not") {
    // The golden files were written from the documented layout, outside sanenet (versions 1 and 2).
    for (const char* name : {"golden_v1.sanenet", "golden_v2.sanenet"}) {
        const sn::AnyNetwork any = sn::load_any(fs::path(__FILE__).parent_path() / ".." / "data" / name);
        CHECK(any.precision() == sn::Precision::fp32);
    }
    temp_dir dir;
    Toy toy;
    toy.engine().params()[0] = 1.f;
    toy.engine().params()[1] = 2.f;
    const fs::path path = dir.path / "toy.sanenet";
    sn::quantize(toy, sn::Precision::bf16).save(path);
    bytes b = read_bytes(path);
    const auto rewrite = [&](bytes c, const char* file) {
        c.resize(c.size() - 8);
        model_file_writer::put_le(c, model_file_writer::fnv1a64(c, c.size()), 8);
        write_file(dir.path / file, c);
        return dir.path / file;
    };
    bytes damaged = b;
    damaged[b.size() - 12] = 7;
    const fs::path p1 = rewrite(damaged, "precision7.sanenet");
    CHECK(contains(message_of<sn::io_error>([&] { (void)sn::load_any(p1); }), "corrupted precision field: 7"));
    // A weight with low bits set in a file that says bf16.
    bytes odd = b;
    const std::size_t params_at = 32 + 16 * 3 + 8;  // Input, Dense, Softmax records, then the count
    odd[params_at] = 1;
    const fs::path p2 = rewrite(odd, "notbf16.sanenet");
    const std::string m = message_of<sn::io_error>([&] { (void)sn::load_any(p2); });
    INFO(m);
    CHECK(contains(m, "the file says its weights are bf16 but dense0 weight, input 0, unit 0"));
    // Without its precision field (the checksum made right): truncated.
    bytes short_file(b.begin(), b.end() - 12);
    model_file_writer::put_le(short_file, 0, 8);
    const fs::path p4 = rewrite(short_file, "noprecision.sanenet");
    CHECK(contains(message_of<sn::io_error>([&] { (void)sn::load_any(p4); }), "truncated: expected " + std::to_string(b.size())));
    // Version 4 is not read.
    bytes v4 = b;
    v4[8] = 4;
    const fs::path p3 = rewrite(v4, "v4.sanenet");
    CHECK(contains(message_of<sn::io_error>([&] { (void)sn::load_any(p3); }), "format version 4, this build reads 1 to 3"));
}

TEST_CASE("L2.4 quantization-cost: fires when rounding flips the predicted classes, not on a model that keeps them") {
    // fp32: logit 1 = (1 + 2^-9) x beats logit 0 = x for x > 0. bf16 rounds 1 + 2^-9 to 1: a tie, class 0.
    Toy toy;
    float* p = toy.engine().params();
    p[0] = 1.f;
    p[1] = 1.f + std::ldexp(1.f, -9);
    p[2] = p[3] = 0.f;
    const sn::matrix x = normal_matrix(100, 1, 4) * 0.f + 1.f;
    sn::labels y = xt::ones<std::int32_t>({std::size_t{100}});
    sn::QuantizedNetwork q = sn::quantize(toy, sn::Precision::bf16, {.validation = sn::Validation{x, y}, .progress = false});
    REQUIRE(q.validation_change());
    CHECK(q.validation_change()->metric == "accuracy");
    CHECK(q.validation_change()->fp32 == 1.0);
    CHECK(q.validation_change()->reduced == 0.0);
    CHECK(q.validation_change()->change == -1.0);
    REQUIRE(q.diagnostics().size() == 1);
    CHECK(q.diagnostics()[0].id == "L2.4");
    const std::string& m = q.diagnostics()[0].message;
    INFO(m);
    CHECK(contains(m, "sanenet L2.4 quantization-cost: rounding the weights to bf16 lowers the validation accuracy from 1 to 0"));
    CHECK(contains(m, "Fix: keep fp32"));
    CHECK(contains(m, "Waive: QuantizeOptions::allow = sn::allow<sn::lint::QuantizationCost>()."));
    // Printed once on stderr with progress on.
    const std::string err =
        stderr_of([&] { (void)sn::quantize(toy, sn::Precision::bf16, {.validation = sn::Validation{x, y}}); });
    CHECK(contains(err, "sanenet warning L2.4 quantization-cost:"));

    // Waived: measured, not reported.
    q = sn::quantize(toy, sn::Precision::bf16,
                     {.validation = sn::Validation{x, y}, .allow = sn::allow<sn::lint::QuantizationCost>(), .progress = false});
    CHECK(q.validation_change()->change == -1.0);
    CHECK_FALSE(fired(q, "L2.4"));

    // A model whose margin bf16 keeps: no change, silent.
    p[1] = 2.f;
    q = sn::quantize(toy, sn::Precision::bf16, {.validation = sn::Validation{x, y}, .progress = false});
    CHECK(q.validation_change()->change == 0.0);
    CHECK_FALSE(fired(q, "L2.4"));
}

TEST_CASE("L2.4 on regression: the MSE relative to fp32's, over 1% fires") {
    Line line;
    float* p = line.engine().params();
    p[0] = 1.f + std::ldexp(1.f, -9);  // rounds to 1 in bf16
    p[1] = 0.f;
    const sn::matrix x = normal_matrix(200, 1, 6) * 10.f;
    // Targets 1e-3 from the fp32 prediction: fp32's MSE is 1e-6, bf16's about (x 2^-9)^2, far more.
    sn::matrix t = line.predict(x) + 1e-3f;
    sn::QuantizedNetwork q = sn::quantize(line, sn::Precision::bf16, {.validation = sn::Validation{x, t}, .progress = false});
    REQUIRE(q.validation_change());
    CHECK(q.validation_change()->metric == "mse");
    CHECK(q.validation_change()->change > 1.0);
    REQUIRE(q.diagnostics().size() == 1);
    CHECK(contains(q.diagnostics()[0].message, "raises the validation MSE"));
    // Targets with noise of 1: the rounding is lost in it.
    t = line.predict(x) + normal_matrix(200, 1, 7);
    q = sn::quantize(line, sn::Precision::bf16, {.validation = sn::Validation{x, t}, .progress = false});
    CHECK(std::abs(q.validation_change()->change) < 0.01);
    CHECK(q.diagnostics().empty());
    // Labels for a regression are refused.
    CHECK_THROWS_AS((void)sn::quantize(line, sn::Precision::bf16, {.validation = sn::Validation{x, sn::labels({1})}}),
                    sn::argument_error);
}

TEST_CASE("the bf16 header compiles without sanenet, says its precision, and agrees with the quantized predict_one") {
    temp_dir dir;
    Mixed net{sn::Seed{12}};
    perturb(net);
    const sn::QuantizedNetwork q = sn::quantize(net, sn::Precision::bf16);
    sn::export_header(net, dir.path / "model.hpp", {.name = "mixed", .precision = sn::Precision::bf16});
    const std::string text = read_text(dir.path / "model.hpp");
    // A bf16 QuantizedNetwork is exported in bf16 unless told otherwise.
    sn::export_header(q, dir.path / "q.hpp", {.name = "mixed"});
    CHECK(read_text(dir.path / "q.hpp") == text);
    sn::export_header(q, dir.path / "q32.hpp", {.name = "mixed", .precision = sn::Precision::fp32});
    CHECK_FALSE(contains(read_text(dir.path / "q32.hpp"), "precision = \"bf16\""));
    CHECK(contains(text, "inline constexpr const char* precision = \"bf16\";"));
    CHECK(contains(text, "// Precision: bf16 weights"));
    CHECK(contains(text, "inline constexpr unsigned short dense0_weight[400]"));
    const sn::matrix x = normal_matrix(500, 10, 21) * 2.f;
    const std::string driver = R"(#include "model.hpp"
#include <cstdio>
#include <cstring>
int main(int argc, char** argv) {
    if (argc != 3 || std::strcmp(mixed::precision, "bf16") != 0) return 2;
    std::FILE* in = std::fopen(argv[1], "rb");
    std::FILE* out = std::fopen(argv[2], "wb");
    float x[mixed::inputs], y[mixed::outputs];
    while (std::fread(x, sizeof x, 1, in) == 1) {
        mixed::predict(x, y);
        std::fwrite(y, sizeof y, 1, out);
    }
    std::fclose(in);
    return std::fclose(out) == 0 ? 0 : 5;
}
)";
    write_file(dir.path / "driver.cpp", driver);
    const fs::path exe = dir.path / "driver";
    const std::string cmd = std::string(SANENET_TEST_CXX) +
                            " -std=c++17 -O2 -fno-exceptions -fno-rtti -Wall -Wextra -Wpedantic -Wshadow -Werror -I " +
                            dir.path.string() + " " + (dir.path / "driver.cpp").string() + " -o " + exe.string();
    REQUIRE(std::system(cmd.c_str()) == 0);
    bytes xb(x.size() * sizeof(float));
    std::memcpy(xb.data(), x.data(), xb.size());
    write_file(dir.path / "x.bin", xb);
    REQUIRE(std::system((exe.string() + " " + (dir.path / "x.bin").string() + " " + (dir.path / "y.bin").string()).c_str()) == 0);
    const bytes yb = read_bytes(dir.path / "y.bin");
    REQUIRE(yb.size() == 500 * 5 * sizeof(float));
    std::vector<float> h(500 * 5);
    std::memcpy(h.data(), yb.data(), yb.size());
    const sn::matrix pq = q.predict(x), pf = net.predict(x);
    double worst = 0, worst_fp32 = 0;
    for (std::size_t i = 0; i < h.size(); ++i) {
        worst = std::max(worst, static_cast<double>(std::abs(h[i] - pq.data()[i])));
        worst_fp32 = std::max(worst_fp32, static_cast<double>(std::abs(h[i] - pf.data()[i])));
    }
    MESSAGE("bf16 header against bf16 predict_one: " << worst << "; against fp32 predict: " << worst_fp32);
    // The same weights in another summation order (docs/deployment.md: 1.8e-7 for this network in fp32).
    CHECK(worst <= 1e-6);
    CHECK(worst_fp32 > 10 * worst);  // the header's weights are the rounded ones
}
