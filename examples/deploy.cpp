// CTEST_ARGS: --quick --out deploy_out
// Deployment (docs/deployment.md): train on data in its own units, carry the normalization with
// the model, and ship it as a header that a game or plugin includes without linking anything.
// A two-link arm whose links have different lengths: from the shoulder and elbow angles in
// degrees and the two link lengths in cm, predict where the hand is, in cm. The raw inputs would
// fail lint L1.1 (degrees are not standardized); attached Standardizers make the network take
// them as they are. Then:
//   save + load_any   the model file carries the scalers; load_any needs no type
//   export_header     OUT/arm_model.hpp: constexpr weights and scalers, arm::predict
//   OUT/expected.txt  raw inputs and predict_one's outputs, which examples/deploy/consumer.cpp
//                     (built by ctest as C++17 with -fno-exceptions -fno-rtti, no sanenet)
//                     checks the header against.
#include <sanenet/sanenet.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <numbers>
#include <random>
#include <string>

namespace sn = sanenet;

using Arm = sn::Network<sn::Regression, sn::Input<4>, sn::Dense<128, sn::He>, sn::ELU, sn::Dropout<0.95>, sn::Dense<128, sn::He>,
                        sn::ELU, sn::Dense<2>, sn::Identity>;
static_assert(sn::valid<Arm>);

namespace {

// Shoulder angle in [-90, 90] degrees, elbow in [0, 150], links of 25-35 cm and 20-30 cm; the
// hand's position in cm.
void arm_data(std::size_t n, std::uint64_t seed, sn::matrix& x, sn::matrix& y) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    x = sn::matrix::from_shape({n, 4});
    y = sn::matrix::from_shape({n, 2});
    const double deg = std::numbers::pi / 180.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double q1 = -90.0 + 180.0 * u(rng), q2 = 150.0 * u(rng), l1 = 25.0 + 10.0 * u(rng), l2 = 20.0 + 10.0 * u(rng);
        x(i, 0) = static_cast<float>(q1), x(i, 1) = static_cast<float>(q2);
        x(i, 2) = static_cast<float>(l1), x(i, 3) = static_cast<float>(l2);
        y(i, 0) = static_cast<float>(l1 * std::cos(q1 * deg) + l2 * std::cos((q1 + q2) * deg));
        y(i, 1) = static_cast<float>(l1 * std::sin(q1 * deg) + l2 * std::sin((q1 + q2) * deg));
    }
}

double mean_error_cm(const sn::matrix& p, const sn::matrix& y) {
    double s = 0.0;
    for (std::size_t i = 0; i < y.shape()[0]; ++i) s += std::hypot(p(i, 0) - y(i, 0), p(i, 1) - y(i, 1));
    return s / static_cast<double>(y.shape()[0]);
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    std::filesystem::path out = "deploy_out";
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) quick = true;
        if (std::strcmp(argv[i], "--out") == 0 && i + 1 < argc) out = argv[++i];
    }
    std::filesystem::create_directories(out);

    sn::matrix x, y, x_val, y_val, x_test, y_test;
    arm_data(quick ? 4000 : 20000, 1, x, y);
    arm_data(1000, 2, x_val, y_val);
    arm_data(1000, 3, x_test, y_test);

    // 1. The normalization is fitted on the training split and travels with the network: fit,
    //    evaluate, predict and predict_one take degrees and centimetres from now on.
    sn::Standardizer inputs, targets;
    inputs.fit(x);
    targets.fit(y);
    Arm net{sn::Seed{7}};
    net.attach_input_scaler(inputs);
    net.attach_target_scaler(targets);
    const sn::History h = sn::fit(net, x, y,
                                  sn::FitOptions{.epochs = quick ? 40 : 80,
                                                 .batch_size = 32,
                                                 .optimizer = sn::Adam{.learning_rate = 1e-3f},
                                                 .validation = sn::Validation{x_val, y_val},
                                                 .progress = false});
    const double error = mean_error_cm(net.predict(x_test), y_test);
    std::printf("trained %zu epochs: validation R^2 %.4f, test mean error %.2f cm (arm reach 45-65 cm)\n", h.epochs.size(),
                *h.epochs.back().val_metric, error);

    // 2. The model file carries the scalers; load_any reads it without the type.
    net.save(out / "arm.sanenet");
    const sn::AnyNetwork any = sn::load_any(out / "arm.sanenet");
    std::printf("load_any: %s, %d inputs -> %d outputs, %zu warnings\n", any.task().c_str(), any.input_size(), any.output_size(),
                any.diagnostics().size());
    const bool same = any.predict(x_test) == net.predict(x_test);

    // 3. The header, and the numbers the program that includes it must reproduce.
    sn::export_header(net, out / "arm_model.hpp", {.name = "arm"});
    std::FILE* f = std::fopen((out / "expected.txt").c_str(), "w");
    if (!f) return 1;
    for (std::size_t i = 0; i < 20; ++i) {
        const float in[4] = {x_test(i, 0), x_test(i, 1), x_test(i, 2), x_test(i, 3)};
        float hand[2];
        net.predict_one(in, hand);
        std::fprintf(f, "%.9g %.9g %.9g %.9g %.9g %.9g\n", in[0], in[1], in[2], in[3], hand[0], hand[1]);
    }
    std::fclose(f);
    std::printf("wrote %s and %s\n", (out / "arm_model.hpp").c_str(), (out / "expected.txt").c_str());

    const bool ok = same && error < 2.0;
    if (!ok)
        std::printf("FAILED: load_any's predictions %s, test error %.2f cm (expected < 2)\n", same ? "same" : "differ", error);
    return ok ? 0 : 1;
}
